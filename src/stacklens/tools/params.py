"""Parameter types more than one tool takes (their descriptions do not depend on the backend)."""

from typing import Annotated, Literal

from pydantic import Field

from stacklens.query import MAX_CURSOR
from stacklens.tools.base import IdText

Level = Literal["fatal", "error", "warning", "info", "debug"]
ProjectArg = Annotated[IdText | None, Field(description="Project slug, name or numeric id", max_length=200)]
CursorArg = Annotated[
    str | None, Field(description="next_cursor from a previous call", max_length=MAX_CURSOR)
]
EnvArg = Annotated[str | None, Field(description="Only events from this environment", max_length=200)]
FramesArg = Annotated[
    Literal["relevant", "all"], Field(description="relevant: your code + crash frame; all: every frame")
]
CrumbsArg = Annotated[int, Field(description="Last N breadcrumbs", ge=0, le=100)]
