"""Saying where a project came from when it is not found: a wrong default (SENTRY_PROJECT / --project) is a
setting to fix, not an argument the model passed."""

from __future__ import annotations


def default_source(asked: str, default: str | None) -> str:
    """ " (the default project: SENTRY_PROJECT or --project)" when `asked` is the configured default, else ""."""
    if default and asked.strip().lower() == default.strip().lower():
        return " (the default project: check SENTRY_PROJECT or --project)"
    return ""


__all__ = ["default_source"]
