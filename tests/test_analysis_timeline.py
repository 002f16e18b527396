"""build_timeline over hand-built models: release order, verdicts, the first release's deploy, size."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from stacklens.analysis import build_timeline, release_order
from stacklens.models import Deploy, Issue, Release, TagValue
from stacklens.render.analysis import render_timeline

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def releases(n: int) -> list[Release]:
    """Newest first, as trackers list them: app@1.0 … app@1.{n-1}, one every 2 days."""
    return [Release(version=f"app@1.{i}", released=day(2 * i)) for i in reversed(range(n))]


def issue(first: str, last: str, **extra) -> Issue:
    return Issue(id="42", short_id="APP-7", title="KeyError: 'x'", first_release=first, last_release=last,
                 first_seen=day(6.1), last_seen=day(9), count=40, **extra)  # fmt: skip


def test_release_order_is_oldest_first_by_time_whatever_the_listing():
    shuffled = [Release(version="b", released=day(2)), Release(version="c", released=day(3)),
                Release(version="a", released=day(1))]  # fmt: skip
    assert release_order(shuffled) == ["a", "b", "c"]
    assert release_order(releases(3)) == ["app@1.0", "app@1.1", "app@1.2"]


def test_first_release_its_deploy_and_still_occurring():
    counts = [TagValue(value="app@1.4", count=30, first_seen=day(9), last_seen=day(9)),
              TagValue(value="app@1.3", count=10, first_seen=day(6.1), last_seen=day(8))]  # fmt: skip
    deploys = {"app@1.3": [Deploy(environment="staging", finished=day(5.9)),
                           Deploy(environment="production", finished=day(6))]}  # fmt: skip
    t = build_timeline(issue("app@1.3", "app@1.4"), counts, releases(5), deploys)
    assert [r.version for r in t.releases] == ["app@1.3", "app@1.4"]  # oldest first
    assert t.previous_release == "app@1.2" and t.newest_release == "app@1.4"
    first, latest = t.verdicts[:2]
    assert first.startswith("first seen in `app@1.3`")
    assert "deployed to `production` at 2026-03-07 00:00Z" in first  # production named first
    assert first.endswith("no events in earlier releases")
    assert latest.startswith("still occurring in the newest release `app@1.4`")
    assert not t.regressed


def test_no_events_since_an_older_release_names_the_newest_and_its_deploy():
    counts = [TagValue(value="app@1.1", count=40, first_seen=day(2), last_seen=day(3))]
    deploys = {"app@1.3": [Deploy(environment="production", finished=day(6))]}
    t = build_timeline(issue("app@1.1", "app@1.1"), counts, releases(4), deploys)
    assert t.verdicts[1].startswith("no events since `app@1.1`")
    assert (
        "the newest release `app@1.3` (deployed to `production` at 2026-03-07 00:00Z) has none"
        in t.verdicts[1]
    )


def test_regression_and_earlier_release_events_are_said():
    counts = [TagValue(value="app@1.0", count=2), TagValue(value="app@1.2", count=5)]
    t = build_timeline(issue("app@1.2", "app@1.2", substatus="regressed"), counts, releases(3), {})
    assert t.regressed and any(v.startswith("regressed") for v in t.verdicts)
    assert "2 event(s) carry earlier releases (`app@1.0`)" in t.verdicts[0]
    assert any("cover 7 of the issue's 40 events" in n for n in t.notes)  # a sample, said so


def test_first_release_missing_from_counts_still_gets_a_row():
    counts = [TagValue(value="app@1.2", count=3)]
    t = build_timeline(issue("app@1.1", "app@1.2"), counts, releases(3), {"app@1.1": []})
    assert [r.version for r in t.releases] == ["app@1.1", "app@1.2"]
    assert t.releases[0].events is None
    assert "no deploy recorded" in t.verdicts[0]


def test_upstream_text_is_inert_and_ten_releases_fit_in_2kb():
    evil = "x`](http://evil)\n# heading | cell"
    rels = releases(10)
    counts = [TagValue(value=r.version, count=1000 + i, first_seen=day(i), last_seen=day(i + 1))
              for i, r in enumerate(rels)]  # fmt: skip
    deploys = {r.version: [Deploy(environment="production", finished=day(1)),
                           Deploy(environment="staging", finished=day(1))] for r in rels}  # fmt: skip
    deploys["app@1.0"].append(Deploy(environment=evil, finished=day(1)))
    t = build_timeline(issue("app@1.0", "app@1.9").model_copy(update={"title": evil}), counts, rels, deploys)
    text = render_timeline(t)
    assert len(t.releases) == 10
    assert len(text.encode()) < 2048, len(text.encode())
    assert "\n# heading" not in text and "`](http" not in text
    for line in text.splitlines():
        if line.startswith("|"):
            assert line.count("|") == 6, line  # no cell broken by upstream text
