"""The one upstream HTTP client: auth, timeouts, retries, rate limits, and errors written for a model.

One `httpx.AsyncClient` per server (created at the first request, so start-up skips the TLS set-up). Retries use tenacity: jittered exponential
backoff for connect errors and 502/503/504, the server's own hint for 429 (`Retry-After`, or Sentry's
`X-Sentry-Rate-Limit-Reset`), all under a bounded total wait. The token never reaches a message or a log.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import anyio
import httpx

if TYPE_CHECKING:
    from tenacity import RetryCallState

from stacklens import __version__
from stacklens.errors import InvalidInput, NotTheApi, UpstreamError

log = logging.getLogger("stacklens.http")

USER_AGENT = f"stacklens/{__version__}"
RETRY_STATUSES = {429, 502, 503, 504}
MAX_RESPONSE_BYTES = 64 << 20  # decoded body; a full Jentry page of 100 big events stays well under it
MAX_HINT = 24 * 3600.0  # a Retry-After past a day (or infinite) is shown as "a day": the call fails at once
MAX_UPSTREAM_CURSOR = 2000  # an upstream cursor longer than this (or with odd characters) is not passed on
_CURSOR_CHARS = re.compile(r"[A-Za-z0-9_.:=%+/,~-]+")
IDEMPOTENT_METHODS = {"GET", "HEAD", "PUT", "PATCH", "DELETE"}  # PATCH here sets absolute values
_LINK_PART = re.compile(r'<([^>]*)>((?:\s*;\s*[a-zA-Z]+="[^"]*")*)')
_LINK_ATTR = re.compile(r'([a-zA-Z]+)="([^"]*)"')

# A per-request upstream token (team deployments: each MCP client brings its own). Unset = the server's.
request_token: ContextVar[str | None] = ContextVar("stacklens_request_token", default=None)

# Tokens to keep out of every log record, whoever logs it: httpcore's DEBUG lines carry the upstream's response
# headers, and a hostile upstream can echo the token there (or anywhere else a library logs what it received).
_LOG_SECRETS: set[str] = set()
_log_factory_installed = False


def _scrub_log_records() -> None:
    """Install (once per process) a log record factory that replaces known tokens with `[token]`."""
    global _log_factory_installed
    if _log_factory_installed:
        return
    _log_factory_installed = True
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        secrets = [s for s in (*_LOG_SECRETS, request_token.get()) if s]
        if not secrets:
            return record
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to the handler, as logging would
            return record
        if any(s in message for s in secrets):
            for secret in secrets:
                message = message.replace(secret, "[token]")
            record.msg, record.args = message, None
        if record.exc_info and not record.exc_text:
            text = logging.Formatter().formatException(record.exc_info)
            for secret in secrets:
                text = text.replace(secret, "[token]")
            record.exc_text = text
        return record

    logging.setLogRecordFactory(factory)


def segment(value: str | int) -> str:
    """One URL path segment, percent-encoded (`/`, `?`, `#`, `@` …); `.`/`..` and control characters refused."""
    text = str(value)
    if text in ("", ".", "..") or any(ord(c) < 32 or c == "\x7f" for c in text):
        raise InvalidInput(f"invalid path value {text[:60]!r}")
    return quote(text, safe="")


def parse_link_next(header: str | None) -> str | None:
    """The `cursor` of `rel="next"` when it has `results="true"` (Sentry's Link header)."""
    for match in _LINK_PART.finditer(header or ""):
        attrs = dict(_LINK_ATTR.findall(match.group(2)))
        if attrs.get("rel") == "next":
            if attrs.get("results", "true") != "true":
                return None
            if "cursor" in attrs:
                return str(attrs["cursor"])
            found = re.search(r"[?&]cursor=([^&]+)", match.group(1))
            return found.group(1) if found else None
    return None


def safe_cursor(value: str | None, scrub: Callable[[str], str] = lambda s: s) -> str | None:
    """An upstream cursor fit to hand to the model and to send back: short, plain characters, and not carrying
    the token (a hostile upstream can put it in a Link header); anything else ends the paging."""
    if not value or len(value) > MAX_UPSTREAM_CURSOR or not _CURSOR_CHARS.fullmatch(value):
        return None
    return value if scrub(value) == value else None


@dataclass
class Reply:
    status: int
    data: Any
    headers: httpx.Headers = field(default_factory=httpx.Headers)
    next_cursor: str | None = None  # from the Link header, already checked by safe_cursor


class _Retry(Exception):
    """A transient failure; `hint` = seconds the upstream asked us to wait (None = our backoff)."""

    def __init__(self, error: UpstreamError, hint: float | None = None, sent: bool = True) -> None:
        super().__init__(str(error))
        self.error = error
        self.hint = hint
        self.sent = sent  # False only when the request cannot have reached the server (connect failed)


def _seconds(value: float) -> float | None:
    """A wait the upstream asked for, made sane: NaN or negative means no usable hint (our own backoff then),
    anything past a day (infinity included) counts as a day."""
    if value != value or value < 0:
        return None
    return min(value, MAX_HINT)


def _wait_hint(response: httpx.Response, now: float | None = None) -> float | None:
    now = time.time() if now is None else now
    retry_after = response.headers.get("retry-after")
    if retry_after:
        try:
            return _seconds(float(retry_after))
        except (ValueError, OverflowError):
            try:
                return _seconds(max(0.0, parsedate_to_datetime(retry_after).timestamp() - now))
            except (TypeError, ValueError, IndexError, OverflowError):
                pass
    reset = response.headers.get("x-sentry-rate-limit-reset")
    if reset:
        try:
            when = float(reset)
        except (ValueError, OverflowError):
            return None
        if when != when:
            return None
        if "." not in reset:  # whole epoch seconds: the window reopens at some point within that second
            when += 1.0
        return _seconds(max(0.0, when - now))
    return None


def _clean(text: str, limit: int = 300) -> str:
    text = re.sub(r"[\x00-\x1f\x7f]+", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def upstream_message(data: Any) -> str:
    """The upstream's own words from an error body: Sentry `detail` (string or object), Jentry `error`, field dicts."""
    if isinstance(data, str):
        return _clean(data)
    if isinstance(data, dict):
        for key in ("detail", "error", "message"):
            value = data.get(key)
            if isinstance(value, str) and value:
                return _clean(value)
            if isinstance(value, dict):
                inner = value.get("message") or value.get("detail") or value.get("code")
                if inner:
                    return _clean(str(inner))
        parts = []
        for key, value in list(data.items())[:5]:
            shown = value[0] if isinstance(value, list) and value else value
            parts.append(f"{key}: {shown}")
        return _clean("; ".join(parts))
    if isinstance(data, list) and data:
        return _clean("; ".join(str(x) for x in data[:5]))
    return ""


class Upstream:
    """Requests to one upstream API root. Backends pass paths built from `segment()` values only."""

    def __init__(
        self,
        *,
        base_url: str,
        token: str | None,
        label: str,
        token_var: str,
        url_var: str,
        timeout: float = 30.0,
        attempts: int = 4,
        max_total_wait: float = 20.0,
        backoff: float = 0.25,
        transport: httpx.AsyncBaseTransport | None = None,
        max_connections: int = 20,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.label = label
        self.token_var = token_var
        self.url_var = url_var
        self.timeout = timeout
        self.attempts = attempts
        self.max_total_wait = max_total_wait
        self.backoff = backoff
        self.max_response_bytes = max_response_bytes
        self._token = token
        if token:
            _LOG_SECRETS.add(token)
        _scrub_log_records()  # also for per-request tokens (request_token), so installed in any case
        self._transport = transport
        self._max_connections = max_connections
        self._http: httpx.AsyncClient | None = None

    @property
    def _client(self) -> httpx.AsyncClient:
        # Built on first use, not at start-up: httpx's transport imports httpcore and loads the CA bundle
        # (~75 ms together), which would otherwise delay the answer to `initialize`.
        if self._http is None:
            limits = httpx.Limits(
                max_connections=self._max_connections, max_keepalive_connections=self._max_connections
            )
            self._http = httpx.AsyncClient(
                timeout=httpx.Timeout(self.timeout),
                headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
                limits=limits,
                transport=self._transport,
                follow_redirects=False,
            )
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()

    def current_token(self) -> str | None:
        return request_token.get() or self._token

    def scrub(self, text: str) -> str:
        """Remove the token from text that came from elsewhere (a hostile upstream may echo it)."""
        for secret in {self._token, request_token.get()}:
            if secret:
                text = text.replace(secret, "[token]")
        return text

    def _scrub_data(self, data: Any) -> Any:
        """Parsed JSON with the token replaced in every string (keys included): upstream data is shown to a
        model, and an application that failed while using the same token may have it in its messages."""
        secrets = [s for s in {self._token, request_token.get()} if s]
        if not secrets or data is _NOT_JSON or data is None:
            return data
        # One C-speed pass to find out whether any string holds a token (a big event has ~10^5 nodes; walking
        # them all on every reply cost more than the request). Escaped forms are compared with escaped forms.
        try:
            blob = json.dumps(data, ensure_ascii=False)
        except (RecursionError, ValueError):  # nested past what can be walked: nothing of it is shown
            raise UpstreamError(f"{self.label} answered with JSON nested too deeply to read.") from None
        secrets = [s for s in secrets if json.dumps(s, ensure_ascii=False)[1:-1] in blob]
        if not secrets:
            return data

        def walk(value: Any) -> Any:
            if isinstance(value, str):
                for secret in secrets:
                    if secret in value:
                        value = value.replace(secret, "[token]")
                return value
            if isinstance(value, list):
                return [walk(v) for v in value]
            if isinstance(value, dict):
                return {walk(k): walk(v) for k, v in value.items()}
            return value

        return walk(data)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Any = None,
        json_body: Any = None,
        scope: str | None = None,
        idempotent: bool | None = None,
        base_url: str | None = None,
    ) -> Reply:
        """Send one request with the retry policy; return the parsed JSON or raise UpstreamError."""
        from tenacity import AsyncRetrying, retry_if_exception, wait_random_exponential  # lazy: ~15 ms import

        method = method.upper()
        retry_ok = idempotent if idempotent is not None else method in IDEMPOTENT_METHODS
        url = (base_url or self.base_url).rstrip("/") + path
        started = time.monotonic()

        def retryable(exc: BaseException) -> bool:
            if not isinstance(exc, _Retry):
                return False
            return retry_ok or not exc.sent  # a failed connect never reached the server: safe to resend

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            if isinstance(exc, _Retry) and exc.hint is not None:
                return exc.hint
            return wait_random_exponential(multiplier=self.backoff, max=4.0)(state)

        def stop(state: RetryCallState) -> bool:
            spent = time.monotonic() - started
            return state.attempt_number >= self.attempts or spent + state.upcoming_sleep > self.max_total_wait

        try:
            async for attempt in AsyncRetrying(
                retry=retry_if_exception(retryable), wait=wait, stop=stop, reraise=True
            ):
                with attempt:
                    return await self._once(method, url, params, json_body, scope)
        except _Retry as exc:
            if exc.error.status == 429:
                hint = exc.hint
                when = "retry in a minute"
                if hint is not None:
                    when = "retry in a day or more" if hint >= MAX_HINT else f"retry in {int(hint) + 1} s"
                raise UpstreamError(f"{self.label} rate limit reached (429): {when}.", 429) from None
            raise exc.error from None
        raise AssertionError("unreachable")  # pragma: no cover

    async def _once(self, method: str, url: str, params: Any, json_body: Any, scope: str | None) -> Reply:
        headers = {}
        token = self.current_token()
        if token:
            headers["Authorization"] = f"Bearer {token}"
        t0 = time.monotonic()
        try:
            # STACKLENS_TIMEOUT bounds the whole exchange: httpx's own timeout is per read, which a trickling
            # upstream never trips. The body is read in chunks up to a cap: a flood (or a decompression
            # bomb) must not take the server's memory with it.
            with anyio.fail_after(self.timeout):
                async with self._client.stream(
                    method, url, params=params, json=json_body, headers=headers
                ) as response:
                    body = bytearray()
                    async for chunk in response.aiter_bytes():
                        body += chunk
                        if len(body) > self.max_response_bytes:
                            raise UpstreamError(
                                f"{self.label} answered with more than {self.max_response_bytes >> 20} MiB; "
                                "narrow the request (a smaller limit, one project)."
                            )
                    content = bytes(body)
        except (httpx.TimeoutException, TimeoutError):
            raise UpstreamError(
                f"{self.label} did not answer within {self.timeout:g} s (STACKLENS_TIMEOUT); try again or narrow the request."
            ) from None
        except httpx.ConnectError as exc:
            error = UpstreamError(
                f"cannot reach {self.label} at its URL ({type(exc).__name__}); check {self.url_var}."
            )
            raise _Retry(error, sent=False) from None
        except httpx.TransportError as exc:
            # The connection broke after the request went out: it may have been applied, so only an
            # idempotent request is resent.
            error = UpstreamError(
                f"the connection to {self.label} broke before its answer ({type(exc).__name__}); "
                "a write may or may not have been applied: check before retrying it."
            )
            raise _Retry(error) from None
        except httpx.DecodingError:
            raise UpstreamError(
                f"{self.label} answered with a body that could not be decoded (bad Content-Encoding); "
                f"check that {self.url_var} is the instance URL."
            ) from None
        log.debug(
            "%s %s -> %s in %.0f ms",
            method,
            response.request.url.path,
            response.status_code,
            (time.monotonic() - t0) * 1000,
        )
        parsed = await self._parse(response.status_code, content)
        if parsed is _TOO_DEEP:
            raise UpstreamError(
                f"{self.label} answered with JSON nested too deeply to read; the answer was dropped."
            )
        data = self._scrub_data(parsed)
        if response.status_code < 300 or response.status_code == 208:
            if data is _NOT_JSON:
                raise NotTheApi(
                    f"{self.label} answered this API request with a non-JSON body ({self._kind(response)}): "
                    f"check that {self.url_var} is the instance URL; if it is, this server does not "
                    "implement this API route.",
                    response.status_code,
                )
            cursor = safe_cursor(parse_link_next(response.headers.get("link")), self.scrub)
            return Reply(response.status_code, data, response.headers, cursor)
        error = self._error(response, data, scope)
        if response.status_code in RETRY_STATUSES:
            raise _Retry(error, _wait_hint(response) if response.status_code == 429 else None)
        raise error

    def _kind(self, response: httpx.Response) -> str:
        """The Content-Type, as shown in a message: upstream text, so cut, cleaned and scrubbed."""
        kind = response.headers.get("content-type", "no content type").split(";")[0]
        return self.scrub(_clean(kind, 60)) or "no content type"

    @staticmethod
    async def _parse(status: int, content: bytes) -> Any:
        if status == 204 or not content:
            return None
        try:
            if len(content) > PARSE_OFF_LOOP_BYTES:  # a big body would hold every other client's call
                return await anyio.to_thread.run_sync(json.loads, content)
            return json.loads(content)
        except RecursionError:
            return _TOO_DEEP
        except (ValueError, UnicodeDecodeError):
            return _NOT_JSON

    def _error(self, response: httpx.Response, data: Any, scope: str | None) -> UpstreamError:
        status = response.status_code
        said = self.scrub(upstream_message(data)) if data is not _NOT_JSON and data is not None else ""
        quoted = f': "{said}"' if said else ""
        if status in (403, 405) and data is _NOT_JSON:
            # A web page, not the API's JSON: no scope problem (a CSRF page, a method the route lacks) but a
            # route this server does not serve.
            return NotTheApi(
                f"{self.label} answered {status} with a non-JSON page ({self._kind(response)}), not an API answer: "
                f"this server does not implement this request (check {self.url_var} is the instance URL).",
                status,
            )
        if status == 401:
            msg = f"{self.label} rejected the token (401){quoted}. Check {self.token_var}: it may be expired, revoked or for another instance."
        elif status == 403:
            need = f"; it needs the `{scope}` scope" if scope else ""
            msg = f"The token is not allowed to do this (403){need}{quoted}. Create a token with that scope and set {self.token_var}."
        elif status == 405:
            msg = f"{self.label} does not implement this request (405 Method Not Allowed){quoted}."
        elif status == 404 and data is _NOT_JSON:
            # The API always answers 404 in JSON; a page means the request never reached it (a wrong URL, or a
            # self-hosted instance under a path whose prefix is missing).
            kind = self._kind(response)
            return NotTheApi(
                f"{self.label} answered 404 with a non-JSON page ({kind}), not an API answer: check "
                f"{self.url_var} (the instance's base URL, with its path prefix if it has one, e.g. "
                f"https://host/{self.label.lower()}).",
                404,
            )
        elif status == 404:
            msg = f"Not found (404){quoted}. Check the id or slug: it must belong to this organization."
        elif status == 400:
            msg = f"{self.label} refused the request (400){quoted}."
        elif status == 429:
            msg = f"{self.label} rate limit reached (429)."
        elif 300 <= status < 400:
            msg = f"{self.label} redirected the request ({status}){quoted}; the resource may have moved (check {self.url_var})."
        elif status >= 500:
            msg = f"{self.label} failed with {status}{quoted}; try again shortly."
        else:
            msg = f"{self.label} answered {status}{quoted}."
        return UpstreamError(msg, status)


_NOT_JSON = object()
_TOO_DEEP = object()
PARSE_OFF_LOOP_BYTES = 1 << 20
