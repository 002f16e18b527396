"""Lenient readers for upstream JSON: a value of the wrong type or damaged is None, never an exception.

One semantics for every reader, whichever upstream the value came from:

- `text(v)`: a string as is (an empty string stays `""`: callers that treat empty as missing write
  `text(v) or None`); `True`/`False` as JSON spells them, `"true"`/`"false"`; an int or float as `str(v)`;
  None, objects and lists → None.
- `integer(v)`: an int as is; a float or a numeric string (sign, surrounding blanks, decimals, exponent
  allowed: `" -3 "`, `"3.7"`, `"1e3"`) truncated toward zero; booleans, NaN/infinity, anything else → None.
  A digit string is read exactly (no float rounding of big ids).
- `number(v)`: an int, float or numeric string (as for `integer`) → float; booleans, NaN/infinity and
  anything else → None.
- `count(v)`: `integer(v)` when it is a plausible count (0 ≤ n < 2**63, what every upstream stores), else
  None: `-1`, `1e400`, `"Infinity"`, NaN and 400-digit ints are unknown, never a number to print.
- `boolean(v)`: a bool as is; the ints 0 and 1; the strings true/yes/1 and false/no/0 (any case, blanks
  around allowed); anything else → None.
- `pairs(v)`: key/value pairs from a dict, a list of `[k, v, …]` (first two taken) or a list of
  `{key, value}` objects (those without a `key` skipped); null and other entries skipped. Keys and values
  are yielded raw: read them with the readers above.
- `first(d, *keys)`: the first of `keys` present and not null (snake_case and camelCase spellings).
- `timestamp(v)`: see its docstring (ISO strings, HTTP dates, epoch seconds/milliseconds → aware UTC).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

JsonObject = dict[str, Any]  # one JSON object from an upstream, read with the readers below


def text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return None


def integer(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        try:
            return int(float(value))
        except (TypeError, ValueError, OverflowError):
            return None


COUNT_MAX = 2**63 - 1  # int64: no upstream counts past it; a bigger "count" is damage


def count(value: Any) -> int | None:
    found = integer(value)
    return found if found is not None and 0 <= found <= COUNT_MAX else None


def number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        result = float(value)
    except (ValueError, OverflowError):
        return None
    return result if math.isfinite(result) else None


def boolean(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in ("true", "yes", "1"):
            return True
        if word in ("false", "no", "0"):
            return False
    return None


def pairs(value: Any) -> Iterator[tuple[Any, Any]]:
    if isinstance(value, dict):
        yield from value.items()
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, list | tuple) and len(item) >= 2:
                yield item[0], item[1]
            elif isinstance(item, dict) and "key" in item:
                yield item.get("key"), item.get("value")


def first(d: JsonObject, *keys: str) -> Any:
    for key in keys:
        value = d.get(key)
        if value is not None:
            return value
    return None


def timestamp(value: Any) -> datetime | None:
    """Timestamps as upstreams send them → aware UTC (rendered as `…Z`, so offsets are converted, never
    relabelled): ISO strings with any offset, HTTP-style dates, epoch seconds or milliseconds as numbers or
    numeric strings, datetimes (naive = UTC). Anything else, and 0/negative/NaN epochs ("unset", not 1970),
    → None."""
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str):
        stripped = value.strip()
        try:
            value = float(stripped)
        except ValueError:
            try:
                parsed = datetime.fromisoformat(stripped.replace("Z", "+00:00").replace("z", "+00:00"))
            except ValueError:
                try:  # an HTTP-style date (`Mon, 01 Jan 2024 12:00:00 GMT`) from a proxy or an old SDK
                    parsed = parsedate_to_datetime(stripped)
                except (TypeError, ValueError, IndexError):
                    return None
            return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    seconds = float(value)
    if seconds != seconds or seconds <= 0:
        return None
    if seconds > 1e11:  # milliseconds (JS `Date.now()`)
        seconds /= 1000
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
