"""Compact Markdown for everything but events (those are in render/event.py). No network, no upstream keys.

Every upstream string (titles, culprits, statuses, ids, slugs, versions, audit and tag fields) is data: it is
shown inline through `render.inline` (`code` or `inert`), one line, cut to a sane length, so it can neither
start a Markdown structure nor open a fence, link, table row or code span of its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from stacklens.models import (
    AuditLog,
    EventList,
    Issue,
    IssuePage,
    Project,
    Release,
    ReleaseCreated,
    ReleaseList,
    TagValues,
    UpdateResult,
)
from stacklens.render.inline import code, flat, inert


def when(value: datetime | None) -> str:
    """`2026-11-21 14:03Z`: absolute, UTC, minute precision."""
    return value.strftime("%Y-%m-%d %H:%MZ") if value else "?"


def _count(value: int | None) -> str:
    return "?" if value is None else f"{value:,}"


def _notes(notes: Iterable[str]) -> list[str]:
    return [f"> note: {flat(n, 400)}" for n in notes]


def render_projects(projects: list[Project]) -> str:
    if not projects:
        return "No projects are visible to this token."
    lines = [f"{len(projects)} project(s):"]
    for p in projects:
        bits = [f"id {inert(p.id, 40)}"] + ([inert(p.platform, 40)] if p.platform else [])
        name = f" {inert(p.name, 80)}" if p.name and p.name != p.slug else ""
        lines.append(f"- {code(p.slug or p.id, 80)}{name} ({', '.join(bits)})")
    return "\n".join(lines)


def issue_line(i: Issue) -> str:
    ident = f"{inert(i.short_id, 80)} (id {inert(i.id, 80)})" if i.short_id else f"#{inert(i.id, 80)}"
    head = f"- **{ident}** {inert(i.level, 20) or '?'} {inert(i.status, 40) or '?'}"
    stats = f"{_count(i.count)} ev, {_count(i.user_count)} users, last {when(i.last_seen)}, first {when(i.first_seen)}"
    stats += f" in {code(i.first_release, 80)}" if i.first_release else ""  # since which release
    title = code(i.title, 140) or "(no title)"  # never a blank line under the issue
    culprit = f" in {code(i.culprit, 100)}" if i.culprit else ""
    extra = f" [{inert(i.project, 80)}]" if i.project else ""
    return f"{head} · {stats}{extra}\n  {title}{culprit}"


def render_issue_page(page: IssuePage) -> str:
    n = len(page.issues)
    lines = [f"{n} issue(s) · query: {code(page.query, 600) or '``'}"]
    lines += [issue_line(i) for i in page.issues]
    if not page.issues:
        lines.append(
            "No issues match. Widen the filters (status='all', a longer window) or check the project."
        )
    lines += _notes(page.notes)
    if page.next_cursor:
        lines.append(f"More results: pass cursor={code(page.next_cursor, 2000)}")
    return "\n".join(lines)


def render_issue(i: Issue) -> str:
    ident = f"{inert(i.short_id, 80)} (id {inert(i.id, 80)})" if i.short_id else f"issue {inert(i.id, 80)}"
    status = inert(i.status, 40) or "?"
    if i.substatus:
        status += f" ({inert(i.substatus, 40)})"
    lines = [
        f"## {ident}: {code(i.title, 300) or '(no title)'}",
        f"- culprit: {code(i.culprit, 200) or '?'}",
        f"- level {inert(i.level, 20) or '?'} · status {status}"
        + (f" · type {inert(i.type, 40)}" if i.type else ""),
        f"- {_count(i.count)} events · {_count(i.user_count)} users",
        f"- first seen {when(i.first_seen)}"
        + (f" in {code(i.first_release, 80)}" if i.first_release else ""),
        f"- last seen {when(i.last_seen)}" + (f" in {code(i.last_release, 80)}" if i.last_release else ""),
        f"- assignee: {inert(i.assignee, 120) or 'none'}",
    ]
    if i.project:
        lines.append(
            f"- project: {code(i.project, 80)}" + (f" (id {inert(i.project_id, 40)})" if i.project_id else "")
        )
    if i.permalink:
        lines.append(f"- link: {inert(i.permalink, 300)}")
    if i.merged_from:
        lines.append(
            f"- note: you asked for {inert(i.merged_from, 80)}; it was merged into (or moved to) this issue"
        )
    return "\n".join(lines)


def render_event_list(events: EventList) -> str:
    lines = [f"{len(events.events)} recent event(s) of issue {inert(events.issue, 300)} (newest first):"]
    for e in events.events:
        bits = [when(e.time)]
        if e.release:
            bits.append(f"release {code(e.release, 60)}")
        if e.environment:
            bits.append(f"env {code(e.environment, 40)}")
        if e.user_id:
            bits.append(f"user {code(e.user_id, 60)}")
        msg = f" — {code(e.message, 120)}" if e.message else ""
        lines.append(f"- {code(e.id, 64) or '?'} " + " · ".join(bits) + msg)
    lines += _notes(events.notes)
    if events.next_cursor:
        lines.append(f"More: pass cursor={code(events.next_cursor, 2000)}")
    return "\n".join(lines)


def render_tag_values(tv: TagValues) -> str:
    total = tv.total if tv.total else sum(v.count or 0 for v in tv.values)
    lines = [f"Tag {code(tv.key, 80) or '``'} on issue {inert(tv.issue, 300)}: {len(tv.values)} value(s)"]
    for v in tv.values:
        share = f" ({(v.count or 0) * 100 / total:.0f}%)" if total else ""
        seen = (
            f" · first {when(v.first_seen)}, last {when(v.last_seen)}" if v.first_seen or v.last_seen else ""
        )
        lines.append(f"- {code(v.value, 100) or '(empty)'}: {_count(v.count)}{share}{seen}")
    lines += _notes(tv.notes)
    return "\n".join(lines)


def render_update(result: UpdateResult) -> str:
    ok = sum(1 for o in result.outcomes if o.ok and o.confirmed)
    sent = sum(1 for o in result.outcomes if o.ok and not o.confirmed)
    head = f"Updated {ok} of {len(result.outcomes)} issue(s)"
    lines = [head + (f" ({sent} sent, not confirmed)" if sent else "") + ":"]
    for o in result.outcomes:
        if not o.ok:
            lines.append(f"- {inert(o.issue, 300)}: FAILED — {flat(o.error, 300)}")
            continue
        if not o.confirmed:
            lines.append(f"- {inert(o.issue, 300)}: sent, not confirmed — {flat(o.error, 300)}")
            continue
        facts = []
        if o.status:
            facts.append(
                f"status {inert(o.status, 40)}" + (f" in {code(o.in_release, 80)}" if o.in_release else "")
            )
        if o.assignee is not None:
            facts.append(f"assignee {inert(o.assignee, 80) or 'none'}")
        if o.bookmarked is not None:
            facts.append("bookmarked" if o.bookmarked else "not bookmarked")
        if o.seen is not None:
            facts.append("seen" if o.seen else "unseen")
        lines.append(f"- {inert(o.issue, 300)}: ok — " + (", ".join(facts) or "confirmed"))
    return "\n".join(lines)


def _pct(value: float | None) -> str | None:
    return None if value is None else f"{value:.2f}%".replace(".00%", "%")


def release_line(r: Release) -> str:
    bits = [f"created {when(r.created)}"] if r.created else []
    if r.released:
        bits.append(f"released {when(r.released)}")
    if r.new_issues is not None:
        bits.append(f"{r.new_issues} new issue(s)")
    if r.events is not None:
        bits.append(f"{_count(r.events)} events")
    if r.commit_count:
        bits.append(f"{r.commit_count} commit(s)")
    if r.deploy_count:
        last = f", last to {inert(r.last_deploy, 60)}" if r.last_deploy else ""
        bits.append(f"{r.deploy_count} deploy(s)" + last)
    if r.health:
        h = r.health
        health = [
            f"crash-free sessions {_pct(h.crash_free_sessions)}" if h.crash_free_sessions is not None else "",
            f"crash-free users {_pct(h.crash_free_users)}" if h.crash_free_users is not None else "",
            f"adoption {_pct(h.adoption)}" if h.adoption is not None else "",
            f"{_count(h.sessions)} sessions" if h.sessions is not None else "",
        ]
        bits += [b for b in health if b]
    projects = f" [{', '.join(inert(p, 80) for p in r.projects[:20])}]" if r.projects else ""
    return f"- {code(r.version, 120)}{projects} · " + " · ".join(bits)


def render_releases(rl: ReleaseList) -> str:
    lines = [f"{len(rl.releases)} release(s), newest first:"] if rl.releases else ["No releases found."]
    lines += [release_line(r) for r in rl.releases]
    lines += _notes(rl.notes)
    if rl.next_cursor:
        lines.append(f"More: pass cursor={code(rl.next_cursor, 2000)}")
    return "\n".join(lines)


def render_release_created(rc: ReleaseCreated) -> str:
    verb = "already existed (updated)" if rc.already_existed else "created"
    if not rc.confirmed:
        verb = "sent, not confirmed (the answer does not show it)"
    where = f" in project {code(rc.project, 80)}" if rc.project else ""
    lines = [f"Release {code(rc.version, 200)} {verb}{where}."]
    if rc.commits is not None:
        lines.append(f"- commits: {rc.commits}")
    for d in rc.deploys:
        if d.ok and not d.confirmed:
            lines.append(f"- deploy to {code(d.environment, 60)}: sent, not confirmed")
        elif d.ok:
            lines.append(
                f"- deploy to {code(d.environment, 60)}: recorded"
                + (f" (id {inert(d.id, 40)})" if d.id else "")
            )
        else:
            lines.append(f"- deploy to {code(d.environment, 60)}: FAILED — {flat(d.error, 300)}")
    lines += _notes(rc.notes)
    return "\n".join(lines)


def render_audit(log: AuditLog) -> str:
    lines = [f"{len(log.entries)} audit entr{'y' if len(log.entries) == 1 else 'ies'}, newest first:"]
    for e in log.entries:
        bits = [when(e.time), f"**{inert(e.action, 60) or '?'}**"]
        if e.actor:
            bits.append(f"by {inert(e.actor, 80)}")
        if e.target:
            bits.append(f"on {code(e.target, 80)}")
        if e.ip_address:
            bits.append(f"from {inert(e.ip_address, 45)}")
        if e.note:
            bits.append(f"— {code(e.note, 120)}")
        lines.append("- " + " ".join(bits))
    if not log.entries:
        lines = ["No audit entries match."]
    lines += _notes(log.notes)
    if log.next_cursor:
        lines.append(f"More: pass cursor={code(log.next_cursor, 2000)}")
    return "\n".join(lines)
