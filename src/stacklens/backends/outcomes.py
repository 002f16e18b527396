"""Write outcomes every backend shares: a write is reported done only when the upstream's answer shows it."""

from __future__ import annotations

from stacklens.models import UpdateOutcome


def failed_or_unconfirmed(issue: str, exc: Exception) -> UpdateOutcome:
    """An error on a write: a failure, except a 2xx whose body could not be read — the change was accepted."""
    status = getattr(exc, "status", None)
    if isinstance(status, int) and 200 <= status < 300:
        return UpdateOutcome.unconfirmed(
            issue, f"the upstream accepted the change but its answer was unreadable: {exc}"
        )
    return UpdateOutcome(issue=issue, ok=False, error=str(exc))
