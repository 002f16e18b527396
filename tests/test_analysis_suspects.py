"""rank_suspects over hand-built events and commits: the crash frame's file ranks first among decoys."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from stacklens.analysis import rank_suspects, stack_frames
from stacklens.analysis.suspects import path_matches
from stacklens.events import Event, ExceptionInfo, Frame
from stacklens.models import Commit
from stacklens.render.analysis import render_suspects


def frame(path: str, function: str, line: int, in_app: bool = True) -> Frame:
    return Frame(filename=path, abs_path="/srv/app/" + path, function=function, lineno=line, in_app=in_app)


EVENT = Event(
    id="e1",
    exceptions=[
        ExceptionInfo(
            type="KeyError",
            frames=[
                frame("starlette/routing.py", "app", 62, in_app=False),
                frame("shop/api/views.py", "checkout", 36),
                frame("shop/orders.py", "build_order", 19),  # the crash frame: last
            ],
        )
    ],
)


def commit(sha: str, files: list[str], day: int = 1, message: str = "change") -> Commit:
    return Commit(
        sha=sha, message=message, author="Ann", files=files, time=datetime(2026, 1, day, tzinfo=UTC)
    )


@pytest.mark.parametrize(
    ("frame_path", "changed", "same"),
    [
        ("/srv/app/shop/orders.py", "shop/orders.py", True),
        ("shop/orders.py", "src/shop/orders.py", True),
        ("./shop/orders.py", "shop/orders.py", True),
        ("shop\\orders.py", "shop/orders.py", True),
        ("shop/orders.py", "admin/orders.py", False),
        ("shop/orders.py", "shop/orders.pyc", False),
        ("shop/myorders.py", "orders.py", False),
        ("", "orders.py", False),
    ],
)
def test_path_suffix_match_on_whole_segments(frame_path, changed, same):
    assert path_matches(frame_path, changed) is same


def test_in_app_frames_crash_first():
    frames = stack_frames(EVENT)
    assert [(f.file, f.crash) for f in frames] == [("shop/orders.py", True), ("shop/api/views.py", False)]


def test_the_crash_files_commit_ranks_first_among_decoys():
    first = [
        commit("aaa1", ["shop/api/views.py"], day=5, message="Tweak checkout view"),  # a caller's file
        commit(
            "bbb2", ["shop/orders.py", "tests/test_orders.py"], day=2, message="Add gift cards\n\nlong body"
        ),
        commit("ccc3", ["admin/orders.py", "README.md"], day=6, message="Admin orders"),  # same basename only
        commit("ddd4", ["starlette/routing.py"], day=7),  # a library frame's file: not in-app
    ]
    previous = [commit("eee5", ["shop/orders.py"], day=1, message="Older orders change")]
    s = rank_suspects("APP-1", EVENT, "app@2", "app@1", {"app@2": first, "app@1": previous})
    assert [c.sha for c in s.commits] == ["bbb2", "eee5", "aaa1"]
    top = s.commits[0]
    assert top.rank == 1 and top.release == "app@2" and top.message == "Add gift cards"
    assert top.matched_files == ["shop/orders.py"] and top.matched_frames == ["shop/orders.py:19 build_order"]
    assert "crash frame" in top.reason and "first release" in top.reason
    assert "release before the first" in s.commits[1].reason
    assert "other in-app frame" in s.commits[2].reason
    assert s.examined == 5


def test_limit_and_no_match_are_said():
    many = [commit(f"s{i}", ["shop/orders.py"], day=i + 1) for i in range(4)]
    s = rank_suspects("APP-1", EVENT, "app@2", None, {"app@2": many}, limit=2)
    assert [c.sha for c in s.commits] == ["s3", "s2"]  # equal evidence: newest first
    assert any("2 more matching" in n for n in s.notes)
    none = rank_suspects("APP-1", EVENT, "app@2", None, {"app@2": [commit("x", ["docs/a.md"])]})
    assert not none.commits and any("none of the 1 commit" in n for n in none.notes)
    assert "No commit changed a file of the stack." in render_suspects(none)


def test_upstream_commit_text_is_rendered_inert():
    evil = commit("bad1", ["shop/orders.py"], message="`](x)\n# pwned")
    evil.author = "a\n- item"
    text = render_suspects(rank_suspects("APP-1", EVENT, "v`1", None, {"v`1": [evil]}))
    assert "\n# pwned" not in text and "\n- item" not in text and "`](x)" not in text
