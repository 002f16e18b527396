"""stacklens.lenient: each reader's one semantics, as its docstring states it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from stacklens import lenient


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("abc", "abc"),
        ("", ""),  # empty stays empty: "missing" is the caller's `or None`
        (True, "true"),
        (False, "false"),
        (12, "12"),
        (1.5, "1.5"),
        (None, None),
        ({"a": 1}, None),
        ([1], None),
    ],
)
def test_text(value: Any, expected: str | None) -> None:
    assert lenient.text(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (7, 7),
        (" -3 ", -3),
        ("12", 12),
        ("3.7", 3),
        (-3.7, -3),
        ("1e3", 1000),
        ("123456789012345678901", 123456789012345678901),  # exact, no float rounding
        (True, None),
        (None, None),
        ("abc", None),
        (float("nan"), None),
        (float("inf"), None),
        ("inf", None),
        ([], None),
    ],
)
def test_integer(value: Any, expected: int | None) -> None:
    assert lenient.integer(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (2, 2.0),
        (2.5, 2.5),
        (" 2.5 ", 2.5),
        ("-1e2", -100.0),
        (True, None),
        (None, None),
        ("x", None),
        (float("nan"), None),
        ("inf", None),
        ({}, None),
    ],
)
def test_number(value: Any, expected: float | None) -> None:
    assert lenient.number(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        (False, False),
        (1, True),
        (0, False),
        (2, None),
        (" Yes ", True),
        ("TRUE", True),
        ("1", True),
        ("no", False),
        ("False", False),
        ("0", False),
        ("maybe", None),
        (None, None),
        (1.0, None),
    ],
)
def test_boolean(value: Any, expected: bool | None) -> None:
    assert lenient.boolean(value) is expected


@pytest.mark.parametrize(
    "value",
    [
        {"a": "1", "b": None},
        [["a", "1"], ["b", None]],
        [["a", "1", "extra"], None, "junk", ["b", None], ["short"]],
        [{"key": "a", "value": "1"}, {"value": "no key"}, {"key": "b"}],
    ],
)
def test_pairs_in_every_spelling(value: Any) -> None:
    assert list(lenient.pairs(value)) == [("a", "1"), ("b", None)]


@pytest.mark.parametrize("value", [None, "a=1", 5, {"not": "a list"}.keys()])
def test_pairs_of_anything_else_is_empty(value: Any) -> None:
    assert list(lenient.pairs(value)) == []


def test_first_skips_missing_and_null() -> None:
    assert lenient.first({"a": None, "b": 0, "c": 1}, "x", "a", "b", "c") == 0
    assert lenient.first({"a": None}, "a", "b") is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-05-01T12:00:00Z", datetime(2024, 5, 1, 12, tzinfo=UTC)),
        ("2024-05-01T14:00:00+02:00", datetime(2024, 5, 1, 12, tzinfo=UTC)),
        ("Wed, 01 May 2024 12:00:00 GMT", datetime(2024, 5, 1, 12, tzinfo=UTC)),
        (1714564800, datetime(2024, 5, 1, 12, tzinfo=UTC)),
        (1714564800000, datetime(2024, 5, 1, 12, tzinfo=UTC)),
        ("1714564800", datetime(2024, 5, 1, 12, tzinfo=UTC)),
        (datetime(2024, 5, 1, 12), datetime(2024, 5, 1, 12, tzinfo=UTC)),
        (datetime(2024, 5, 1, 14, tzinfo=timezone(timedelta(hours=2))), datetime(2024, 5, 1, 12, tzinfo=UTC)),
        (0, None),
        (-5, None),
        (float("nan"), None),
        (True, None),
        ("garbage", None),
        ([], None),
    ],
)
def test_timestamp(value: Any, expected: datetime | None) -> None:
    assert lenient.timestamp(value) == expected


def test_models_keeps_lenient_time() -> None:
    from stacklens.models import lenient_time

    assert lenient_time is lenient.timestamp
