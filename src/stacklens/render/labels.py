"""Short one-line texts shared by the trimmer and the layout: cut text, exception labels, text compared."""

from __future__ import annotations

import re

from stacklens.events import ExceptionInfo
from stacklens.render.event_model import ExceptionOut


def cut(text: str | None, limit: int) -> str:
    if not text:
        return ""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def alnum(text: str | None) -> str:
    """Letters and digits only, lower case: two texts that say the same up to spacing and punctuation."""
    return "".join(ch for ch in (text or "").lower() if ch.isalnum())


_PLAIN_MODULES = ("builtins", "exceptions", "__builtin__", "__main__", "java.lang")
_MODULE = re.compile(r"[\w$]+(?:(?:\.|::)[\w$]+)*")


def exc_label(exc: ExceptionInfo | ExceptionOut, value_cut: int) -> str:
    kind = exc.type or "Error"
    # A module is a dotted name; PHP SDKs put `file:line` there, which is no prefix for a type.
    module = exc.module if exc.module and _MODULE.fullmatch(exc.module) else None
    if module and module not in _PLAIN_MODULES and module not in kind and "." not in kind:
        kind = f"{module}.{kind}"
    value = cut(exc.value, value_cut)
    return f"{kind}: {value}" if value else kind
