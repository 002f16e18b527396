"""Events: upstream payloads (Sentry REST or SDK/Jentry shape) → one redacted `Event` model.

- `model`: the `Event` model and its parts
- `normalize`: both upstream shapes → `Event` (`normalize_event`, `summarize_event`)
- `stacks`: frames, exceptions and threads of a payload
- `redact`: secret-looking names and values, URL query redaction (`scrub_text`, `redact_url`)
- `relevance`: in-app inference and package names of frames (used by the renderer)
- `read`: event-specific readers on top of `stacklens.lenient`
"""

from stacklens.events.model import Breadcrumb, Event, ExceptionInfo, Frame, Request, Thread
from stacklens.events.normalize import normalize_event, summarize_event
from stacklens.events.redact import REDACTED, compact_repr, is_secret_name, redact_url, scrub_text
from stacklens.events.relevance import in_app_flags, looks_in_app, package_of

__all__ = [
    "REDACTED",
    "Breadcrumb",
    "Event",
    "ExceptionInfo",
    "Frame",
    "Request",
    "Thread",
    "compact_repr",
    "in_app_flags",
    "is_secret_name",
    "looks_in_app",
    "normalize_event",
    "package_of",
    "redact_url",
    "scrub_text",
    "summarize_event",
]
