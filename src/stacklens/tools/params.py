"""Parameter types more than one tool takes (their descriptions do not depend on the backend).

Enumerations stay enumerations in the JSON schema, but a model's slip in case (`"Error"`, `"Unresolved"`) or a
comma-joined list (`level="error,fatal"`) is taken for what it plainly means before the Literal check."""

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field

from stacklens.query import MAX_CURSOR
from stacklens.tools.base import IdText


def lower_enum(value: Any) -> Any:
    """An enum value in any case (and surrounding spaces): compared lower-cased; other types left to pydantic."""
    if isinstance(value, str):
        return value.strip().lower()
    return value


def lower_enum_list(value: Any) -> Any:
    """One value, a list, or a comma-separated string ("error,fatal") → lower-cased; a single value stays one."""
    if isinstance(value, str):
        parts = [p.strip().lower() for p in value.split(",") if p.strip()]
        return parts[0] if len(parts) == 1 else parts
    if isinstance(value, list | tuple):
        return [lower_enum(v) for v in value]
    return value


Level = Annotated[Literal["fatal", "error", "warning", "info", "debug"], BeforeValidator(lower_enum)]
Levels = Annotated[
    Level | list[Level] | None,
    BeforeValidator(lower_enum_list),
    Field(description="One level or a list (any of), e.g. error or ['error','fatal']"),
]
ProjectArg = Annotated[IdText | None, Field(description="Project slug, name or numeric id", max_length=200)]
CursorArg = Annotated[
    str | None, Field(description="next_cursor from a previous call", max_length=MAX_CURSOR)
]
EnvArg = Annotated[str | None, Field(description="Only events from this environment", max_length=200)]
FramesArg = Annotated[
    Literal["relevant", "all"],
    BeforeValidator(lower_enum),
    Field(description="relevant: your code + crash frame; all: every frame"),
]
CrumbsArg = Annotated[int, Field(description="Last N breadcrumbs", ge=0, le=100)]
SinceArg = Annotated[
    str | None,
    Field(
        description="Since: a window ('30m','24h','7d'), 'today', 'yesterday' (00:00 UTC) or an ISO date",
        max_length=100,
    ),
]
