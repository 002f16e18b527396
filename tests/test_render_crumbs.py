"""Breadcrumbs as shown: near-identical runs folded into their last crumb, times before the event."""

from __future__ import annotations

from typing import Any

from odd_events import data_block
from stacklens.events import normalize_event
from stacklens.render.event import render_event

T0 = 1_767_225_600  # 2026-01-01 00:00:00Z


def _event(crumbs: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    return {"event_id": "e" * 32, "timestamp": T0, "message": "boom", "breadcrumbs": crumbs, **fields}


def _crumb(seconds_before: float, message: str, **fields: Any) -> dict[str, Any]:
    return {"timestamp": T0 - seconds_before, "message": message, **fields}


def test_a_polling_run_becomes_one_line_that_keeps_its_last_crumb_and_the_steps_before_it() -> None:
    crumbs = [_crumb(300, "user signed in", category="auth")]
    crumbs += [_crumb(200 - i, f"Frame number: {1300 + 100 * i}", category="game") for i in range(20)]
    crumbs.append(_crumb(1, "GET /api/cart [500]", category="http"))
    text, trimmed = render_event(normalize_event(_event(crumbs)))
    data = data_block(text)
    assert "-3m01s game: Frame number: 3200 (after 19 similar since -3m20s)" in data
    assert "-5m00s auth: user signed in" in data and "-1s http: GET /api/cart [500]" in data
    assert data.count("Frame number") == 1 and "Breadcrumbs:" in data  # all 22 shown, in 3 rows
    assert "older breadcrumb" not in text
    folded = trimmed.breadcrumbs[1]
    assert (folded.similar, folded.message) == (19, "Frame number: 3200")
    assert folded.since is not None and folded.since.timestamp() == T0 - 200
    assert trimmed.breadcrumbs_total == 22 and len(trimmed.breadcrumbs) == 3


def test_only_consecutive_crumbs_of_one_kind_fold() -> None:
    crumbs = [
        _crumb(9, "retry 1", category="job"),
        _crumb(8, "retry 2", category="job", level="warning"),  # another level: another kind
        _crumb(7, "retry 3", category="queue"),  # another category
        _crumb(6, "retry 4", category="job"),
        _crumb(5, "retry 5", category="job"),
        _crumb(4, "done", category="job"),
    ]
    data = data_block(render_event(normalize_event(_event(crumbs)))[0])
    assert "-9s job: retry 1" in data and "-8s job warning: retry 2" in data and "-7s queue: retry 3" in data
    assert "-5s job: retry 5 (after 1 similar since -6s)" in data and "retry 4" not in data
    assert "-4s job: done" in data


def test_breadcrumbs_n_counts_rows_and_the_note_counts_the_crumbs_left_out() -> None:
    crumbs = [_crumb(100 - i, f"step {chr(97 + i)}") for i in range(12)]  # all different (letters)
    crumbs += [_crumb(50 - i, f"tick {i}", category="poll") for i in range(30)]
    text, trimmed = render_event(normalize_event(_event(crumbs)), breadcrumbs=3)
    data = data_block(text)
    assert "Breadcrumbs (last 32 of 42):" in data  # 2 single crumbs + a row standing for 30
    assert "step k" in data and "step l" in data and "tick 29 (after 29 similar" in data
    assert "shows the 10 older breadcrumbs" in text
    assert [c.similar for c in trimmed.breadcrumbs] == [0, 0, 29]


def test_times_are_relative_to_the_event_and_clock_times_without_one() -> None:
    crumbs = [_crumb(2 * 86400 + 4 * 3600, "a"), _crumb(7300, "b"), _crumb(75, "c"), _crumb(-0.3, "z")]
    crumbs.append(_crumb(-2, "d"))
    data = data_block(render_event(normalize_event(_event(crumbs)))[0])
    assert "-2d04h a" in data and "-2h01m b" in data and "-1m15s c" in data and "+2s d" in data
    assert "\n-0s z" in data  # a crumb stamped a fraction after the event (clocks differ) is at it
    same_day = [_crumb(7300, "b"), _crumb(75, "c")]
    data = data_block(render_event(normalize_event(_event(same_day, timestamp=None)))[0])
    assert "Breadcrumbs, on 2025-12-31:" in data and "\n21:58:20 b" in data and "\n23:58:45 c" in data
