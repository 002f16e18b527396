"""The built-in sandbox (DESIGN §6): a fake-but-faithful Sentry + Jentry upstream over a captured dataset.

`Sandbox` holds the mutable state, `create_app(sandbox)` is the ASGI app speaking both APIs. Imports are lazy
so that `stacklens.sandbox.capture` (dev-only sentry-sdk) and the app stay independent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from stacklens.sandbox.app import create_app
    from stacklens.sandbox.state import Sandbox, SandboxConfig

__all__ = ["Sandbox", "SandboxConfig", "create_app"]


def __getattr__(name: str) -> Any:
    if name in ("Sandbox", "SandboxConfig"):
        from stacklens.sandbox import state

        return getattr(state, name)
    if name == "create_app":
        from stacklens.sandbox.app import create_app

        return create_app
    raise AttributeError(name)
