"""Upstream JSON as it enters a backend: decoded, untrusted, any shape. Mapping code narrows it leniently."""

from __future__ import annotations

from typing import Any, TypeAlias

Json: TypeAlias = Any  # a decoded body or any value inside one: checked with isinstance before use
JsonObject: TypeAlias = dict[str, Any]  # a JSON object, its values still unchecked


def obj(value: Json) -> JsonObject:
    """An object, or {} for anything else (null, a list, a string where an object belongs)."""
    return value if isinstance(value, dict) else {}


def text(value: Json) -> str | None:
    """A scalar as text (numbers too: ids and counts arrive either way); None for null, booleans, objects,
    lists and the empty string."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str | int | float):
        return str(value) or None
    return None


def object_list(data: Json, what: str, label: str) -> list[JsonObject]:
    """A JSON list of objects (nulls and non-objects skipped); an empty body or another shape is a clean
    error naming the tracker (`label`) and the request (`what`)."""
    from stacklens.errors import UpstreamError

    if data is None:  # an empty body where a list belongs: not "nothing matches"
        raise UpstreamError(f"{label} answered the {what} request with an empty body (no JSON list).")
    if not isinstance(data, list):
        raise UpstreamError(f"{label} answered the {what} request with an unexpected shape (not a list).")
    return [row for row in data if isinstance(row, dict)]
