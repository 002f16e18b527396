"""Feature flags with a remote provider; failures fall back and are logged, not raised."""

from __future__ import annotations

import logging

log = logging.getLogger("shop.flags")

DEFAULTS = {"new-checkout": False, "gift-cards": True}


def flag(name: str, remote: dict[str, bool] | None) -> bool:
    if remote is None:
        log.info("feature flag %r served from defaults (provider unavailable)", name)
        return DEFAULTS.get(name, False)
    return remote.get(name, DEFAULTS.get(name, False))


def slow_render(template: str, elapsed_ms: int) -> None:
    log.warning("template %s rendered in %d ms (budget 300 ms)", template, elapsed_ms)
