"""Readers for event payloads on top of `stacklens.lenient`: what only events need."""

from __future__ import annotations

from typing import Any

from stacklens import lenient
from stacklens.events.limits import LIST_SCAN, TEXT
from stacklens.events.redact import compact_repr
from stacklens.lenient import JsonObject


def value_text(value: Any) -> str | None:
    """`lenient.text`, except that an object or list (damage where text belongs) is kept as a short
    one-line repr, secret-named keys redacted, rather than dropped. Cut at `limits.TEXT` characters: a 10 MB
    field costs no more than a short one in everything after the reader."""
    if value is None:
        return None
    found = lenient.text(value)
    if found is None:
        return compact_repr(value, 300)
    return found if len(found) <= TEXT else found[:TEXT]


def objects(value: Any, *, last: bool = False, scan: int | None = LIST_SCAN) -> list[JsonObject]:
    """A list of objects from a list (nulls and junk dropped) or an interface `{values: [...]}` /
    `{value: [...]}` (the spelling some payloads use). Of a huge list only the first (or, `last`, the last)
    `scan` entries are looked at: callers keep far fewer (None: all, for callers that pick their own)."""
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
        if scan is not None and len(value) > scan:
            value = value[-scan:] if last else value[:scan]
        return [v for v in value if isinstance(v, dict)]
    return []
