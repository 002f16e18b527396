"""Compact tool schemas mean what pydantic's full ones mean, and stay portable across model APIs."""

from __future__ import annotations

import json
from typing import Annotated, Any

import jsonschema
import pytest
from pydantic import BaseModel, Field

from stacklens.schema import compact_schema


class Args(BaseModel):
    issue: Annotated[str, Field(min_length=1)]
    issues: str | list[str]
    level: str | list[str] | None = None
    limit: Annotated[int, Field(ge=1, le=100)] = 25


FULL = Args.model_json_schema()
COMPACT = compact_schema(FULL)


def test_compact_drops_titles_and_null_branches_but_never_emits_type_lists() -> None:
    assert COMPACT["properties"]["issue"] == {"type": "string"}
    assert COMPACT["properties"]["level"] == {
        "anyOf": [{"type": "string"}, {"items": {"type": "string"}, "type": "array"}]
    }
    assert "title" not in json.dumps(COMPACT)
    assert '"type": [' not in json.dumps(COMPACT)


@pytest.mark.parametrize(
    "value",
    [
        {"issue": "SHOP-1", "issues": "4"},
        {"issue": "4", "issues": ["a", "5"]},
        {"issue": "4", "issues": "x", "level": ["error"], "limit": 100},
        {"issue": 5, "issues": "x"},
        {"issue": "x", "issues": [{"a": 1}]},
        {"issue": "x", "issues": "x", "limit": 0},
        {"issues": "x"},
    ],
)
def test_compact_and_full_schemas_accept_the_same_inputs(value: dict[str, Any]) -> None:
    def accepts(schema: dict[str, Any]) -> bool:
        return jsonschema.Draft202012Validator(schema).is_valid(value)

    assert accepts(COMPACT) == accepts(FULL)


class Item(BaseModel):
    name: str


class Out(BaseModel):
    items: list[Item] = Field(default_factory=list, description="shown")
    notes: list[str] = Field(default_factory=list)
    total: int | None = None


def test_output_schema_is_compact_and_truthful() -> None:
    from stacklens.schema import compact_output_schema

    assert compact_output_schema(Out.model_json_schema(), depth=1)["properties"]["items"] == {"type": "array"}
    schema = compact_output_schema(Out.model_json_schema())
    assert schema == {
        "properties": {
            "items": {
                "items": {"properties": {"name": {"type": "string"}}, "required": ["name"], "type": "object"},
                "type": "array",
            },
            "notes": {"items": {"type": "string"}, "type": "array"},
            "total": {"type": "integer"},
        },
        "type": "object",
    }
    content = Out(items=[Item(name="a")], notes=["n"], total=3).model_dump(exclude_none=True)
    jsonschema.validate(content, schema)
