"""cluster_events over hand-built events: signatures, counts and shares, what sets groups apart, size."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from stacklens.analysis import cluster_events, normalize_message
from stacklens.events import Event, ExceptionInfo, Frame
from stacklens.render.analysis import render_clusters

T0 = datetime(2026, 5, 1, tzinfo=UTC)


def event(n: int, path: str, fn: str, kind: str, msg: str, release: str = "w@1", env: str = "prod") -> Event:
    frames = [
        Frame(filename="lib/x.py", function="run", in_app=False),
        Frame(filename=path, function=fn, in_app=True),
    ]
    return Event(id=f"e{n}", time=T0 + timedelta(hours=n), release=release, environment=env,
                 exceptions=[ExceptionInfo(type=kind, value=msg, frames=frames)])  # fmt: skip


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("could not convert string to float: '12,50'", "could not convert string to float: '<v>'"),
        ('no row "abc"', 'no row "<v>"'),
        ("order 70338 failed after 3 attempts", "order <n> failed after <n> attempts"),
        ("object at 0x7f3a9c2e4b10", "object at <hex>"),
        ("trace 9de6fb414704ccdbe77a18673207fa1f", "trace <uuid>"),
        ("id 123e4567-e89b-12d3-a456-426614174000 gone", "id <uuid> gone"),
        ("token deadbeef99 bad", "token <hex> bad"),
        ("list index out of range", "list index out of range"),
        ("utf8 codec v2", "utf8 codec v2"),  # digits inside words stay
    ],
)
def test_message_normalization(raw, normalized):
    assert normalize_message(raw) == normalized


def test_two_crash_sites_two_groups_with_counts_shares_and_differences():
    events = [
        event(i, "worker/feeds.py", "parse_price", "ValueError", f"bad price '{i},50'") for i in range(4)
    ]
    events += [event(10 + i, "worker/feeds.py", "main_image", "IndexError", "list index out of range",
                     release="w@2") for i in range(2)]  # fmt: skip
    c = cluster_events("W-7", events)
    assert [(g.count, g.crash_frame, g.exception_type) for g in c.groups] == [
        (4, "worker/feeds.py parse_price", "ValueError"),
        (2, "worker/feeds.py main_image", "IndexError"),
    ]
    big, small = c.groups
    assert big.share == pytest.approx(4 / 6, abs=1e-3) and small.share == pytest.approx(2 / 6, abs=1e-3)
    assert big.message == "bad price '<v>'"
    assert big.first_seen == T0 and big.last_seen == T0 + timedelta(hours=3)
    assert big.representative_event_id == "e3"  # the newest of the group
    assert small.releases == ["w@2"] and "releases (no other group has them)" in small.distinguished_by
    assert {"crash site", "exception type", "message"} <= set(big.distinguished_by)


def test_one_signature_is_one_bug():
    c = cluster_events("W-7", [event(i, "a.py", "f", "E", f"n={i}") for i in range(3)])
    assert len(c.groups) == 1 and c.groups[0].count == 3
    assert render_clusters(c).splitlines()[0].endswith("one bug")


def test_five_groups_fit_in_2kb_and_upstream_text_is_inert():
    evil = "`](http://x)\n# boom"
    events = [event(g * 10 + i, f"app/module_{g}/handlers.py", f"handle_{g}", f"Error{g}Type", f"{evil} {g}",
                    release=f"app@{g}.0.0", env="production") for g in range(5) for i in range(g + 1)]  # fmt: skip
    text = render_clusters(cluster_events("APP-1", events))
    assert len(text.encode()) < 2048, len(text.encode())
    assert "\n# boom" not in text and "`](http" not in text
