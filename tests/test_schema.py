"""Compact tool schemas mean what pydantic's full ones mean: the same inputs pass and fail."""

from __future__ import annotations

from typing import Annotated, Any

import jsonschema
import pytest
from pydantic import BaseModel, Field

from stacklens.schema import compact_schema


class Args(BaseModel):
    issue: Annotated[str, Field(min_length=1)] | int
    issues: str | int | list[str | int]
    level: str | list[str] | None = None
    limit: Annotated[int, Field(ge=1, le=100)] = 25


FULL = Args.model_json_schema()
COMPACT = compact_schema(FULL)


def test_bare_type_unions_fold_into_a_type_list() -> None:
    assert COMPACT["properties"]["issue"] == {"type": ["string", "integer"]}
    issues = COMPACT["properties"]["issues"]["anyOf"]
    assert issues[0] == {"type": ["string", "integer"]} and issues[1]["type"] == "array"
    assert "title" not in COMPACT and all("title" not in p for p in COMPACT["properties"].values())


@pytest.mark.parametrize(
    "value",
    [
        {"issue": "SHOP-1", "issues": 4},
        {"issue": 4, "issues": ["a", 5]},
        {"issue": 4, "issues": "x", "level": ["error"], "limit": 100},
        {"issue": 4.5, "issues": "x"},
        {"issue": "x", "issues": [{"a": 1}]},
        {"issue": "x", "issues": "x", "limit": 0},
        {"issues": "x"},
    ],
)
def test_compact_and_full_schemas_accept_the_same_inputs(value: dict[str, Any]) -> None:
    def accepts(schema: dict[str, Any]) -> bool:
        return jsonschema.Draft202012Validator(schema).is_valid(value)

    assert accepts(COMPACT) == accepts(FULL)
