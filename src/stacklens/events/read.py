"""Readers for event payloads on top of `stacklens.lenient`: what only events need."""

from __future__ import annotations

from typing import Any

from stacklens import lenient
from stacklens.events.redact import compact_repr
from stacklens.lenient import JsonObject


def value_text(value: Any) -> str | None:
    """`lenient.text`, except that an object or list (damage where text belongs) is kept as a short
    one-line repr, secret-named keys redacted, rather than dropped."""
    if value is None:
        return None
    found = lenient.text(value)
    return found if found is not None else compact_repr(value, 300)


def objects(value: Any) -> list[JsonObject]:
    """A list of objects from a list (nulls and junk dropped) or an interface `{values: [...]}` /
    `{value: [...]}` (the spelling some payloads use)."""
    if isinstance(value, dict):
        for key in ("values", "value"):
            inner = value.get(key)
            if isinstance(inner, list):
                value = inner
                break
            if isinstance(inner, dict):
                return [inner]
        else:
            return []
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    return []
