"""stacklens.render.budget: the size ladder holds for extreme sizes (1 MB values, 10,000 frames, 500 chained
exceptions) and keeps what matters."""

from __future__ import annotations

import time

from odd_events import data_block, odd_exc, odd_frame, render_all
from stacklens.events import normalize_event
from stacklens.render.event import BUDGET, BUDGET_EXPANDED, render_event

# --- sizes ---


def test_huge_strings_cost_no_more_than_small_ones() -> None:
    mb = 1_000_000
    raw = {
        "message": "m" * mb,
        "exception": {"values": [odd_exc("OverflowError", "v" * mb + " END", [
            odd_frame(1, function="f" * mb, filename="shop/" + "d/" * 200_000 + "x.py",
                   context_line="    total = " + "c" * 100_000, pre_context=["p" * 100_000] * 5,
                   vars={"blob": "z" * mb, "n" * 100_000: 1, "password": "hunter2-SECRET"}),
        ])]},
        "tags": {"k" * 100_000: "t" * mb},
        "request": {"method": "GET", "url": "https://shop.test/" + "p" * mb + "?token=tok-SECRET"},
        "breadcrumbs": [{"message": "b" * mb, "data": {"x": "y" * mb}}],
    }  # fmt: skip
    start = time.perf_counter()
    results = render_all(raw)
    assert time.perf_counter() - start < 30  # a guard against a blow-up, not a timing goal
    for text, _ in results:
        data = data_block(text)
        assert "OverflowError: vvvv" in data and "total = cccc" in data
        assert "SECRET" not in text
        assert max(len(line) for line in data.splitlines()) < 600  # every line is cut, not just the text


def test_ten_thousand_frames() -> None:
    frames = [odd_frame(i, in_app=i % 7 == 0) for i in range(10_000)]
    frames[-1] = odd_frame(99_999, function="charge_card", in_app=True)
    raw = {"exception": {"values": [odd_exc("RecursionError", "too deep", frames)]}}
    start = time.perf_counter()
    text, trimmed = render_event(normalize_event(raw))
    all_text, _ = render_event(normalize_event(raw), frames="all")
    assert time.perf_counter() - start < 30  # a guard against a blow-up, not a timing goal
    assert "shop/step_99999.py:100009 in charge_card" in text
    assert "older frames not shown" in text and "older frames not shown" in all_text
    assert len(all_text.encode()) <= BUDGET_EXPANDED and len(all_text) > len(text)
    assert trimmed.exceptions[0].frame_count == 10_000


def test_five_hundred_chained_exceptions() -> None:
    chain = [odd_exc(f"Error{i}", f"failure {i}", [odd_frame(i)]) for i in range(500)]
    text, trimmed = render_event(normalize_event({"exception": {"values": chain}}))
    data = data_block(text)
    assert data.startswith("Error499: failure 499")
    assert "root cause Error0: failure 0" in data  # outermost and root cause both named
    assert "Exception chain (500)" in data and "… and 475 more" in data
    assert len(trimmed.exceptions) == 5 and len(text.encode()) <= BUDGET
