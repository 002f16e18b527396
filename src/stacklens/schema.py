"""Compact JSON schemas for tools/list: same meaning, fewer bytes (a model reads every byte of them).

Drops `title` (it repeats the property name) and `default: null`; publishes `X | null` inputs as X (optional
inputs are omitted, never sent as null). It never emits a `type` list: several model APIs refuse them.
Output schemas go further: structured content is dumped without null fields (`exclude_none`), so nullable
types become plain ones, descriptions and OpenAPI `discriminator` hints (which JSON Schema validators ignore)
are dropped, and nested models are inlined (three levels deep).
"""

from __future__ import annotations

from typing import Any, cast

_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_MAPS = ("properties", "$defs", "patternProperties")
_SCHEMA_ONE = ("items", "additionalProperties", "not")


def compact_output_schema(schema: dict[str, Any] | None, depth: int = 3) -> dict[str, Any] | None:
    """Output schema for tools/list: compacted, nested models inlined `depth` levels deep, deeper ones `object`.

    Three levels reach every item shape a script reads (an issue in a page, a frame in an exception, a
    source line in a frame). Clients validate structured content against it and do not show it to the
    model, so it costs wire bytes, not context. Defaults stay: structured content leaves fields at their
    defaults out.
    """
    if schema is None:
        return None
    defs = schema.get("$defs", {})
    body = {k: v for k, v in schema.items() if k != "$defs"}
    return cast("dict[str, Any]", compact_schema(_inline(body, defs, depth), output=True))


def _inline(node: Any, defs: dict[str, Any], depth: int) -> Any:
    if isinstance(node, list):
        return [_inline(n, defs, depth) for n in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        if depth <= 1:
            return {"type": "object"}
        return _inline(defs.get(ref.removeprefix("#/$defs/"), {"type": "object"}), defs, depth - 1)
    if "oneOf" in node and all(isinstance(o, dict) and "$ref" in o for o in node["oneOf"]) and depth <= 1:
        return {"type": "object"}
    out = {k: (v if k in ("enum", "const", "required") else _inline(v, defs, depth)) for k, v in node.items()}
    if out.get("type") == "array" and out.get("items") == {"type": "object"}:
        del out["items"]  # items cut to a bare object say nothing `array` does not
    return out


def compact_schema(schema: Any, *, output: bool = False) -> Any:
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "title":
            continue
        if key == "default" and (value is None or (output and value in ([], {}, ""))):
            continue  # an output's default is kept where it is a value: a field at it is left out
        if key in ("maxLength", "minLength") and not output:
            continue  # enforced server-side by the tool's signature; not worth a model's tokens
        if output and key in ("description", "discriminator", "format"):
            continue
        if key in _SCHEMA_LISTS and isinstance(value, list):
            out[key] = [compact_schema(v, output=output) for v in value]
        elif key in _SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {name: compact_schema(v, output=output) for name, v in value.items()}
        elif key in _SCHEMA_ONE and isinstance(value, dict):
            out[key] = compact_schema(value, output=output)
        else:
            out[key] = value
    # Optional inputs are omitted rather than sent as null, and outputs never carry null (exclude_none):
    # either way `X | null` is published as X.
    return _drop_null(out)


def _drop_null(schema: dict[str, Any]) -> dict[str, Any]:
    """Output only: null never appears (exclude_none), so `X | null` is just X."""
    kind = schema.get("type")
    if isinstance(kind, list) and "null" in kind:
        rest = [k for k in kind if k != "null"]
        schema = {**schema, "type": rest[0] if len(rest) == 1 else rest}
    options = schema.get("anyOf")
    if isinstance(options, list) and {"type": "null"} in options:
        rest = [o for o in options if o != {"type": "null"}]
        schema = {k: v for k, v in schema.items() if k != "anyOf"}
        if len(rest) == 1:
            schema.update(rest[0])
        else:
            schema["anyOf"] = rest
    return schema
