"""Upstream JSON as it enters a backend: decoded, untrusted, any shape. Mapping code narrows it leniently."""

from __future__ import annotations

from typing import Any, TypeAlias

Json: TypeAlias = Any  # a decoded body or any value inside one: checked with isinstance before use
JsonObject: TypeAlias = dict[str, Any]  # a JSON object, its values still unchecked
