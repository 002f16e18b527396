"""Stock reservations in SQLite. A second connection holding the write lock makes reserve() fail."""

from __future__ import annotations

import sqlite3
from pathlib import Path


class ReservationError(Exception):
    """A reservation could not be stored."""


def open_db(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=0.05)
    db.execute("CREATE TABLE IF NOT EXISTS stock (sku TEXT PRIMARY KEY, available INTEGER)")
    db.execute("INSERT OR REPLACE INTO stock VALUES ('MUG-01', 12), ('TEE-L', 3)")
    db.commit()
    return db


def reserve(db: sqlite3.Connection, sku: str, qty: int) -> None:
    try:
        db.execute("UPDATE stock SET available = available - ? WHERE sku = ?", (qty, sku))
        db.commit()
    except sqlite3.OperationalError as exc:
        raise ReservationError(f"could not reserve {qty} x {sku}") from exc


def coupon_value(db: sqlite3.Connection, code: str) -> int:
    row = db.execute("SELECT amount FROM coupons WHERE code = ?", (code,)).fetchone()
    return int(row[0]) if row else 0


def reserve_with_lock_held(path: Path, sku: str, qty: int) -> None:
    """Another worker holds the write lock (an open write transaction) while we reserve."""
    holder = open_db(path)
    holder.execute("BEGIN IMMEDIATE")
    try:
        reserve(open_db_no_seed(path), sku, qty)
    finally:
        holder.rollback()
        holder.close()


def open_db_no_seed(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, timeout=0.05)
