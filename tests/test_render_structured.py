"""The event's structured content: every fact the text has, for scripts, without the copies and defaults that
made it 2–3 times the text."""

from __future__ import annotations

import json

from odd_events import data_block, odd_exc, odd_frame
from stacklens.events import normalize_event
from stacklens.render.event import TrimmedEvent, render_event


def _sizes(raw: dict) -> tuple[str, dict, int, int]:
    text, trimmed = render_event(normalize_event(raw))
    structured = trimmed.structured()
    return text, structured, len(text.encode()), len(json.dumps(structured, separators=(",", ":")).encode())


def test_leaf_fields_at_their_defaults_are_left_out_and_kind_always_stays() -> None:
    frames = [odd_frame(0, in_app=False), odd_frame(1), odd_frame(2, vars={"n": 1})]
    _, structured, _, _ = _sizes({"exception": {"values": [odd_exc("ValueError", "bad", frames)]}})
    hidden, caller, crash = structured["exceptions"][0]["frames"]
    assert hidden == {"kind": "hidden", "count": 1, "packages": hidden["packages"]}
    assert caller["kind"] == "frame" and caller["in_app"] is True
    assert "crash" not in caller and "source" not in caller and "vars" not in caller
    assert crash["in_app"] is True and crash["crash"] is True and crash["vars"] == {"n": "1"}
    assert [s.get("crash", False) for s in crash["source"]].count(True) == 1
    # Scripts read it back as the model: the defaults come back.
    again = TrimmedEvent.model_validate(structured)
    assert again.exceptions[0].frames[1].crash is False  # type: ignore[union-attr]
    assert structured["exceptions"] and "tags" in structured  # top-level lists stay, even empty


def test_a_cause_with_the_same_frames_points_at_them_in_both_text_and_structured_content() -> None:
    frames = [odd_frame(i) for i in range(30)]
    chain = [odd_exc(f"Error{i}", f"failure {i}", frames) for i in range(5)]
    text, structured, text_bytes, structured_bytes = _sizes({"exception": {"values": chain}})
    data = data_block(text)
    assert data.count("(same frames as [2])") == 3
    later = structured["exceptions"][2:]
    assert all(e["same_frames_as"] == 2 and e["frames"] == [] for e in later)
    assert structured["exceptions"][1]["frames"]  # said once, in full
    assert structured_bytes < 2.5 * text_bytes


def test_five_hundred_chained_exceptions_structured_in_proportion() -> None:
    chain = [
        odd_exc(f"Error{i}", f"failure {i}", [odd_frame(i * 40 + j) for j in range(40)]) for i in range(500)
    ]
    _, structured, text_bytes, structured_bytes = _sizes({"exception": {"values": chain}})
    assert len(structured["exceptions"]) == 5 and structured["exception_count"] == 500
    assert structured_bytes < 2.5 * text_bytes  # was 33 KB for 7.4 KB of text
