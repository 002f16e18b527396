"""Jentry's cross-project cursor (backends/jentry/cursor.py): round trip, tampering refused."""

from __future__ import annotations

import base64
import hashlib
import json
import zlib

import pytest

from stacklens.backends.jentry.cursor import CursorState, Position, decode_cursor, encode_cursor
from stacklens.errors import InvalidInput


def test_cursor_round_trip_and_tampering() -> None:
    state = CursorState("abc", 25, {"1": Position(2, 5, "77"), "2": Position(1, 0, None)}, {"3"})
    text = encode_cursor(state)
    assert decode_cursor(text, "abc") == state
    with pytest.raises(InvalidInput, match="different search"):
        decode_cursor(text, "other")
    body = text[3:].split(".")[0]
    flipped = "A" if body[5] != "A" else "B"
    for bad in (
        text[:-1] + ("0" if text[-1] != "0" else "1"),  # digest changed
        text[:8] + flipped + text[9:],  # payload changed
        text[:-20],  # truncated
        "j1.%%%.abc",
        "garbage",
        "",
    ):
        with pytest.raises(InvalidInput, match="cursor is not valid"):
            decode_cursor(bad, "abc")


def test_cursor_forged_with_a_valid_digest_is_still_checked() -> None:
    """A hand-made cursor (digest recomputed) with out-of-range values is refused, not obeyed."""
    for positions in (
        {"1": [0, 0, None]},
        {"1": [1, 500, None]},
        {"../x": [1, 0, None]},
        {"1": [1, 0, "a/b"]},
        {"1": [1, 0, "7", "late", 0]},
        {"1": [1, 0, "7", float("nan"), 0]},
        {"1": [1, 0, "7", 1.5, 2]},
        {"1": [1, 0, "7", 1.5, True]},
        {"1": [1, 0, "7", 1.5, 0, "extra"]},
    ):
        state_text = encode_cursor(CursorState("abc", 25, {}, set()))
        raw = json.dumps({"v": 1, "f": "abc", "n": 25, "p": positions, "d": []}, separators=(",", ":"))
        forged = (
            "j1."
            + base64.urlsafe_b64encode(zlib.compress(raw.encode())).decode().rstrip("=")
            + "."
            + hashlib.sha256(raw.encode()).hexdigest()[:12]
        )
        assert state_text != forged
        with pytest.raises(InvalidInput, match="cursor is not valid"):
            decode_cursor(forged, "abc")


def test_cursor_positions_without_key_still_decode() -> None:
    """A cursor issued before positions carried the anchor's sort value (3 items) still works."""
    raw = json.dumps({"v": 1, "f": "abc", "n": 25, "p": {"1": [2, 5, "77"]}, "d": []}, separators=(",", ":"))
    text = (
        "j1."
        + base64.urlsafe_b64encode(zlib.compress(raw.encode())).decode().rstrip("=")
        + "."
        + hashlib.sha256(raw.encode()).hexdigest()[:12]
    )
    assert decode_cursor(text, "abc").positions == {"1": Position(2, 5, "77", None, False)}
    state = CursorState("abc", 25, {"1": Position(2, 5, "77", 1764612551.0, True)}, set())
    assert decode_cursor(encode_cursor(state), "abc") == state
    # A fractional key (a timestamp's milliseconds) is rounded up: a realignment then repeats, never skips.
    state.positions["1"] = Position(2, 5, "77", 1764612551.158, True)
    assert decode_cursor(encode_cursor(state), "abc").positions["1"].key == 1764612552.0


def test_a_forged_cursor_nested_100k_deep_is_refused_cleanly() -> None:
    import base64
    import hashlib
    import zlib

    from stacklens.backends.jentry.cursor import CURSOR_PREFIX, decode_cursor
    from stacklens.errors import InvalidInput

    raw = b"[" * 100_000 + b"]" * 100_000
    encoded = base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode().rstrip("=")
    forged = f"{CURSOR_PREFIX}{encoded}.{hashlib.sha256(raw).hexdigest()[:12]}"
    assert len(forged) < 20_000
    try:
        decode_cursor(forged, "f")
    except InvalidInput:
        return
    raise AssertionError("a forged cursor was accepted")
