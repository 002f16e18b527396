"""What every tool shares: the spec a tool module declares, the state the lifespan holds, and the call path
(validate → backend → render) with its error mapping."""

import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar, cast

import anyio
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BeforeValidator, ValidationError

from stacklens.backends.base import Backend, BackendDescriptor, Capabilities, Progress
from stacklens.config import Settings
from stacklens.errors import StacklensError
from stacklens.http import Upstream, request_token
from stacklens.models import Model
from stacklens.refs import RefSyntax

log = logging.getLogger("stacklens")

T = TypeVar("T")

READ = ToolAnnotations(
    read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=True
)


@dataclass(frozen=True)
class ToolEnv:
    """What a tool module needs to describe itself for the configured backend."""

    settings: Settings
    backend: BackendDescriptor

    @property
    def label(self) -> str:
        return self.backend.label

    @property
    def caps(self) -> Capabilities:
        return self.backend.capabilities

    @property
    def refs(self) -> RefSyntax:
        return self.backend.refs

    def unsupported(self, parameter: str) -> str:
        """The note a parameter's description carries where this backend cannot answer it (or "")."""
        return self.caps.search_refuses.get(parameter, "")


@dataclass(frozen=True)
class ToolSpec:
    """One tool module's declaration: its name, whether it writes, and how it registers itself."""

    name: str
    register: Callable[[MCPServer, ToolEnv], None]
    write: bool = False
    enabled: Callable[[ToolEnv], bool] = field(default=lambda env: True)
    # A call that works on the demo sandbox ("{issue}" stands for one of its issues): the cross-cutting
    # suites (bad input, secrets, read-only) drive every registered tool from it.
    example: Mapping[str, Any] = field(default_factory=dict)
    off_hint: str = ""  # what a call says when `enabled` left the tool out (read-only says its own)


@dataclass
class AppState:
    """What the lifespan yields: the only state the server keeps."""

    settings: Settings
    backend: Backend
    upstream: Upstream  # the one HTTP client: its `scrub` removes the configured and the per-request token


def result(text: str, model: Model) -> CallToolResult:
    return CallToolResult(
        content=[TextContent(type="text", text=text)],
        structured_content=model.structured(),
    )


def _number_as_text(value: object) -> object:
    """Models often send a numeric id as a JSON number: take it as its digits (the schema still says string,
    which every client and model API accepts; a type list is not portable)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


IdText = Annotated[str, BeforeValidator(_number_as_text)]  # an id or name: a string, or a JSON number


_INSTANCE_OF = re.compile(r" or (an )?instance of \w+")
_CLASS_NAME = re.compile(r"[A-Z][A-Za-z0-9]*")  # field names are lower case; pydantic labels models by class


def validation_message(exc: ValidationError) -> str:
    """One short line per bad argument (first error of each: a union reports one per branch), no doc links."""
    first: dict[str, str] = {}
    for err in exc.errors():
        loc = [
            str(p)
            for p in err.get("loc", ())
            if not str(p).startswith(("literal[", "list[", "function-"))
            and str(p) != "str"  # a union's branch label (`str | list[str]`), not a field name
            and not _CLASS_NAME.fullmatch(str(p))  # a model's branch label (`CommitSpec | str`): internal
        ]
        name = ".".join(loc) or "input"
        # pydantic names the model class ("… or instance of CommitSpec"): internal, and no help to the caller.
        msg = _INSTANCE_OF.sub("", str(err.get("msg")))
        first.setdefault(name.split(".")[0], f"{name}: {msg}")
    return "invalid arguments: " + "; ".join(list(first.values())[:5])


def app_state(ctx: Context) -> AppState:
    return cast(AppState, ctx.request_context.lifespan_context)


async def call(ctx: Context, work: Callable[[Backend], Awaitable[T]]) -> T:
    """Run one tool body against the backend; anticipated failures become ToolErrors for the model."""
    state = app_state(ctx)
    token = _request_upstream_token(ctx, state.settings)
    reset = request_token.set(token) if token else None
    budget = call_budget(state.settings)
    try:
        # Each request is bounded by STACKLENS_TIMEOUT; a call of many requests (a scan, a bulk update, a
        # release with deploys) is bounded as a whole too, so a stuck upstream cannot hold a call for long.
        with anyio.fail_after(budget):
            return await work(state.backend)
    except TimeoutError:
        raise ToolError(
            f"the call did not finish within {budget:g} s (twice STACKLENS_TIMEOUT): the upstream is slow; "
            "narrow the request and try again. If it was a write, part of it may have been applied: "
            "read the issues before retrying."
        ) from None
    except StacklensError as exc:
        raise ToolError(str(exc)) from None
    except ValidationError as exc:
        raise ToolError(validation_message(exc)) from None
    finally:
        if reset is not None:
            request_token.reset(reset)


def call_budget(settings: Settings) -> float:
    """The bound on one whole tool call: twice the per-request timeout."""
    return 2 * settings.timeout


def _request_upstream_token(ctx: Context, settings: Settings) -> str | None:
    """Team deployments (--token-from-request): the upstream token travels with each HTTP request."""
    if not settings.token_from_request:
        return None
    request = getattr(ctx.request_context, "request", None)
    headers = getattr(request, "headers", None)
    if headers is None:
        return None
    token = headers.get("x-upstream-token")
    if not token and settings.http_token is None:
        auth = headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            token = auth[7:]
    token = (token or "").strip()
    if token and any(ord(c) < 33 or ord(c) > 126 for c in token):
        raise ToolError("the upstream token header contains invalid characters")
    if not token and settings.token is None:
        # Sending nothing upstream would come back as "the token was rejected": say what is really missing.
        where = "X-Upstream-Token" if settings.http_token else "X-Upstream-Token or Authorization: Bearer"
        raise ToolError(
            f"this server takes each user's {settings.descriptor.label} token from the request: "
            f"send it in the {where} header"
        )
    return str(token) or None


def progress(ctx: Context) -> Progress:
    async def report(done: float, total: float | None = None, message: str | None = None) -> None:
        try:
            await ctx.report_progress(done, total, message)
        except Exception:  # progress is best effort; never fail a tool over it
            log.debug("progress report failed", exc_info=True)

    return report
