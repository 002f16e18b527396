"""Background jobs: imports, exports, notifications."""

from __future__ import annotations

import csv
import io
import logging
from pathlib import Path
from typing import Any

log = logging.getLogger("worker.jobs")


def import_customers(raw: bytes) -> int:
    text = raw.decode("utf-8")
    return sum(1 for _ in csv.reader(io.StringIO(text)))


def export_report(day: str, root: Path) -> int:
    source = root / "exports" / f"orders-{day}.csv"
    with source.open() as handle:
        return sum(1 for _ in handle)


def notify_owner(order: dict[str, Any], users: dict[int, Any]) -> str:
    owner = users.get(order["owner_id"])
    return f"mail to {owner.email}: order {order['id']} shipped"


def run_with_retries(job: str, job_id: str, attempts: int) -> None:
    for attempt in range(1, attempts + 1):
        log.info("job %s (%s) attempt %d", job, job_id, attempt)
    log.error("job %s (%s) exceeded max retries (%d)", job, job_id, attempts)


def nightly_summary(skipped: int) -> None:
    log.info("nightly export finished with %d skipped rows", skipped)
