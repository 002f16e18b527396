"""Compact Markdown for the analysis tools (timeline, suspect commits, event groups). No network.

Every upstream string (versions, environments, commit messages, authors, file names, exception messages) is
shown inline through `records.code`/`records.flat`: it cannot open a Markdown structure. Verdict lines are
built by the analysis with their upstream parts already in code spans."""

from __future__ import annotations

from stacklens.analysis.models import Clusters, Suspects, Timeline
from stacklens.models import DeleteResult
from stacklens.render.inline import code, flat
from stacklens.render.records import when


def _notes(notes: list[str]) -> list[str]:
    return [f"> note: {flat(n, 300)}" for n in notes]


def render_timeline(t: Timeline) -> str:
    where = f" in {code(t.environment, 60)}" if t.environment else ""
    lines = [f"Timeline of issue {code(t.issue, 40)}{where}: {code(t.title, 100)}"]
    lines += [f"- {flat(v, 400)}" for v in t.verdicts]
    if t.releases:
        lines.append("")
        lines.append("| release | events | first seen | last seen | deploys |")
        lines.append("|---|---|---|---|---|")
        for r in t.releases:
            envs = ", ".join(
                f"{code(d.environment or '?', 30)} {when(d.finished or d.started)}" for d in r.deploys[:3]
            )
            more = f" +{len(r.deploys) - 3}" if len(r.deploys) > 3 else ""
            count = "?" if r.events is None else f"{r.events:,}"
            row = [code(r.version, 60), count, when(r.first_seen), when(r.last_seen), (envs + more) or "—"]
            lines.append("| " + " | ".join(cell.replace("|", "¦") for cell in row) + " |")
    else:
        lines.append("No per-release counts: its events carry no release.")
    lines += _notes(t.notes)
    return "\n".join(lines)


def render_suspects(s: Suspects) -> str:
    releases = code(s.first_release, 80) if s.first_release else "an unknown release"
    if s.previous_release:
        releases += f" and {code(s.previous_release, 80)} before it"
    head = f"Suspect commits for issue {code(s.issue, 40)} ({s.examined} commit(s) of {releases} examined"
    lines = [head + (f"; stack of event {code(s.event_id, 40)})" if s.event_id else ")")]
    if s.frames:
        shown = [
            f"{code(f.file, 80)}{f':{f.line}' if f.line is not None else ''}"
            + (f" {code(f.function, 60)}" if f.function else "")
            for f in s.frames[:4]
        ]
        lines.append("In-app frames, crash first: " + " ← ".join(shown))
    if not s.commits:
        lines.append("No commit changed a file of the stack.")
    for c in s.commits:
        who = f" by {code(c.author, 60)}" if c.author else ""
        lines.append(f"{c.rank}. {code(c.sha[:12], 12)} {code(c.message, 100)}{who} in {code(c.release, 60)}")
        lines.append(
            f"   why: {flat(c.reason, 240)}; files {', '.join(code(f, 80) for f in c.matched_files[:4])}"
        )
        if c.url:
            lines.append(f"   {code(c.url, 200)}")
    lines += _notes(s.notes)
    return "\n".join(lines)


def render_clusters(c: Clusters) -> str:
    where = f" in {code(c.environment, 60)}" if c.environment else ""
    n = len(c.groups)
    verdict = "nothing to group" if n == 0 else "one bug" if n == 1 else f"{n} distinct signatures"
    lines = [f"{c.events} recent event(s) of issue {code(c.issue, 40)}{where}: {verdict}"]
    for i, g in enumerate(c.groups, 1):
        site = code(g.crash_frame, 80) if g.crash_frame else "no in-app frame"
        kind = code(g.exception_type, 50) if g.exception_type else "no exception"
        lines.append(f"{i}. {g.count} ({g.share * 100:.0f}%) · {site} · {kind} · {code(g.message, 100)}")
        rel = ", ".join(code(r, 40) for r in g.releases[:3]) + (" …" if len(g.releases) > 3 else "")
        env = ", ".join(code(e, 30) for e in g.environments[:3]) + (" …" if len(g.environments) > 3 else "")
        lines.append(
            f"   {when(g.first_seen)} → {when(g.last_seen)} · releases {rel or '—'} · env {env or '—'}"
            f" · e.g. event {code(g.representative_event_id, 40)}"
        )
        lines.append(f"   apart by: {flat(', '.join(g.distinguished_by), 160)}")
    lines += _notes(c.notes)
    return "\n".join(lines)


def render_delete(d: DeleteResult) -> str:
    if d.scheduled:
        return f"Issue {code(d.issue, 40)}: scheduled for deletion (the tracker answered 202; it deletes it shortly)."
    return f"Issue {code(d.issue, 40)}: {flat(d.message, 100) or 'deleted'}."
