"""read_audit's `since`: neither audit API filters by time, so entries are cut client-side (and said so)."""

from datetime import UTC, datetime

from stacklens.models import AuditLog
from stacklens.query import Window

FETCH_WITH_SINCE = 100  # the most one page gives: cut here, not upstream


def within(log: AuditLog, window: Window, limit: int, now: datetime | None = None) -> AuditLog:
    """The entries since the window's start, at most `limit`; notes say how it was cut and what may be left."""
    cutoff = window.cutoff(now or datetime.now(UTC))
    kept = [e for e in log.entries if e.time is not None and e.time >= cutoff]
    notes = [
        *log.notes,
        f"filtered to entries since {cutoff:%Y-%m-%d %H:%M} UTC ({window.text}) client-side "
        "(the audit API has no time filter)",
    ]
    cursor = None
    if len(kept) > limit:
        notes.append(f"{len(kept) - limit} more entries in the window: raise limit (up to 100)")
    elif len(kept) == len(log.entries) and log.entries and log.next_cursor:
        # Every entry of this page is in the window: older ones in it may be on the next page.
        cursor = log.next_cursor
        notes.append("older entries in the window may follow: pass the cursor")
    return AuditLog(entries=kept[:limit], next_cursor=cursor, notes=notes)
