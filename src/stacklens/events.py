"""Event normalization: Sentry's REST shape and the SDK shape (what Jentry returns) → one `Event` model.

Both shapes, their legacy spellings (`sentry.interfaces.*`, `data.value`, camelCase or snake_case frames,
tags as dict / pairs / `{key, value}`) and real-world damage (nulls in lists, empty stacktraces, frames with
only an address) are read leniently: a field that cannot be understood is dropped, never raised on.

Secrets never enter the model: request headers, cookies and bodies are not kept, and secret-looking query
values, local variables, breadcrumb data and tag values are redacted here, so neither the rendered text nor
the structured content built from an `Event` can leak them. Pure functions, no I/O.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, unquote

from pydantic import Field

from stacklens.models import EventSummary, Model, Text, Time, lenient_time

REDACTED = "[redacted]"
_TEXT_MAX = 4000  # free text kept per field (the renderer shows far less); also bounds the regex work

# --- secrets ---

# Matched against a name lowercased with everything but letters and digits removed ("X-Api-Key" → "xapikey").
# `auth` is a secret unless it starts "author" (but "authoriz…" is one again).
_SECRET_NAME = re.compile(
    r"passw|passwd|passphrase|pwd|secret|token|apikey|auth(?!or(?!i[sz]))|cookie|session|csrf|xsrf|dsn"
    r"|creditcard|cardnum|ccnum|cvv|cvc|privatekey|accesskey|signature|jwt|bearer|credential"
    r"|(?:sentry|signing|encryption|master|license)key"
)
# Short names that are secrets only on their own (`?key=…`, `?sig=…`, OAuth `?code=…`).
_SECRET_EXACT = frozenset({"key", "sig", "code", "otp", "pin", "pw", "pass", "pan", "ssn", "cc"})


def is_secret_name(name: object) -> bool:
    """Does a variable / header / query / tag name look like it holds a secret?"""
    flat = "".join(ch for ch in str(name).lower() if ch.isalnum())
    return flat in _SECRET_EXACT or bool(_SECRET_NAME.search(flat))


_URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]{1,20}://[^\s'\"<>`]+")
# Up to the authority's last `@`: an unencoded `@` in a password (`u:p@ss@host`) must not leave `ss` behind.
_USERINFO = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*://)[^/?#\s]*@")
_AUTH_SCHEME = re.compile(r"(?i)\b(bearer|basic|token|digest)(\s+)([A-Za-z0-9._~+/=-]{8,})")
# `name=value`, `name: value`, `'name': 'value'` where the name looks secret.
_SCHEME = r"(?:(?:bearer|basic|digest|token)\s+)?"  # `Authorization: Bearer x` → one redaction
_ASSIGNMENT = re.compile(
    r"(?i)(?<![\w.-])([\w.-]*(?:passw|passphrase|pwd|secret|token|api[_-]?key|auth(?!or(?!i[sz]))|cookie"
    r"|session|csrf|dsn|credit[_-]?card|card[_-]?num|cvv|private[_-]?key|access[_-]?key|signature)[\w.-]*)"
    r"(['\"]?\s*[=:]\s*['\"]?)(?!" + _SCHEME + r"\[redacted\])(" + _SCHEME + r"[^\s'\"&,;}\])]+)"
)
_CARD = re.compile(r"(?<![\d.])(?:\d[ -]?){12,18}\d(?![\d.])")


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return REDACTED if 13 <= len(digits) <= 19 and _luhn(digits) else match.group(0)


_TEMPLATE = re.compile(r"[{}\[\]()$%+]")  # `?token={api_token}` in source code is not a secret


def _credential(m: re.Match[str]) -> str:
    """`Bearer <credential>`: a credential has a digit or is long; "token expired" is English."""
    value = m.group(3)
    if any(ch.isdigit() for ch in value) or len(value) >= 20:
        return m.group(1) + m.group(2) + REDACTED
    return m.group(0)


def _redact_pairs(query: str, code: bool) -> str:
    parts = []
    for pair in query.split("&"):
        key, eq, value = pair.partition("=")
        # `api%5Fkey` is `api_key` once decoded
        secret = eq and value and is_secret_name(unquote(key)) and not (code and _TEMPLATE.search(value))
        parts.append(f"{key}={REDACTED}" if secret else pair)
    return "&".join(parts)


def redact_url(url: str, *, code: bool = False) -> str:
    """The URL with credentials in its user part and the values of secret-looking query/fragment keys
    replaced by `[redacted]`; everything else (path, other parameters) kept verbatim. `code`: the URL is
    from source code, where a templated value (`{token}`) is an expression, not a secret."""
    if not code or not _TEMPLATE.search(url.split("@", 1)[0]):
        url = _USERINFO.sub(lambda m: m.group(1) + REDACTED + "@", url, count=1)
    base, hash_, fragment = url.partition("#")
    path, q, query = base.partition("?")
    if q:
        query = _redact_pairs(query, code)
    if hash_ and "=" in fragment:  # OAuth implicit flow: #access_token=…
        fragment = _redact_pairs(fragment, code)
    return path + q + query + hash_ + fragment


def scrub_text(text: str, *, code: bool = False) -> str:
    """Free application text with the secrets we can recognise redacted: credentials and secret parameters
    in URLs, `Bearer …` tokens, card numbers, and `password=…`-style pairs. `code`: a source line, where
    `token = request.headers[…]` is code, not a secret, so only literal values in URLs, tokens and card
    numbers are redacted (the crash line must stay readable)."""
    if not text:
        return text
    text = text[:_TEXT_MAX]
    if "://" in text:
        text = _URL.sub(lambda m: redact_url(m.group(0), code=code), text)
    text = _AUTH_SCHEME.sub(_credential, text)
    if not code and ("=" in text or ":" in text):
        text = _ASSIGNMENT.sub(lambda m: m.group(1) + m.group(2) + REDACTED, text)
    return _CARD.sub(_card, text)


# --- lenient readers ---


def _get(d: dict[str, Any], *keys: str) -> Any:
    """The first of `keys` that is present and not null (snake_case and camelCase spellings)."""
    for key in keys:
        value = d.get(key)
        if value is not None:
            return value
    return None


def _dicts(value: Any) -> list[dict[str, Any]]:
    """A list of objects from a list (nulls and junk dropped) or an interface `{values: [...]}` /
    `{value: [...]}` (the spelling some payloads use)."""
    if isinstance(value, dict):
        for key in ("values", "value"):
            inner = value.get(key)
            if isinstance(inner, list):
                value = inner
                break
            if isinstance(inner, dict):
                return [inner]
        else:
            return []
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    return []


def _str(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return compact_repr(value, 300)


def _int(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        try:
            return int(float(value))
        except (TypeError, ValueError):
            return None


def _bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        if value.strip().lower() in ("true", "yes", "1"):
            return True
        if value.strip().lower() in ("false", "no", "0"):
            return False
    return None


def _line_text(value: Any) -> str:
    """A source line: a string as is; a number (`1 / 0` sent as data by a broken SDK) as its text."""
    if isinstance(value, str):
        return value.rstrip("\r\n")[:_TEXT_MAX]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""


def _lines(value: Any, *, before: bool) -> list[str]:
    """Context lines; entries that are not text become blank so the line numbers stay right. At most 50,
    the ones next to the crash line (the renderer shows 3)."""
    if not isinstance(value, list):
        return []
    return [_line_text(v) for v in (value[-50:] if before else value[:50])]


def _addr(value: Any) -> str | None:
    """An instruction address: hex as sent; a number (some SDKs send integers) as hex too."""
    if isinstance(value, int) and not isinstance(value, bool):
        return hex(value) if value >= 0 else None
    text = _str(value)
    return text[:40] if text else None


def compact_repr(value: Any, limit: int = 200) -> str:
    """A short one-line rendering of a (JSON-ish) value, secret-named keys redacted at any depth, built
    piecewise so a huge value costs no more than `limit` characters of work."""
    out: list[str] = []
    size = 0

    def emit(text: str) -> bool:
        nonlocal size
        out.append(text)
        size += len(text)
        return size <= limit

    def walk(v: Any, depth: int) -> bool:
        if isinstance(v, str):
            return emit(v if len(v) <= limit else v[: limit + 1])
        if v is None or isinstance(v, bool | int | float):
            return emit("None" if v is None else str(v))
        if depth > 4:
            return emit("…")
        if isinstance(v, dict):
            if not emit("{"):
                return False
            for i, (k, item) in enumerate(v.items()):
                name = str(k)
                if (i and not emit(", ")) or not emit(f"{name}: "):
                    return False
                if is_secret_name(name.strip("'\"")):
                    if not emit(REDACTED):
                        return False
                elif not walk(item, depth + 1):
                    return False
            return emit("}")
        if isinstance(v, list | tuple):
            if not emit("["):
                return False
            for i, item in enumerate(v):
                if (i and not emit(", ")) or not walk(item, depth + 1):
                    return False
            return emit("]")
        return emit(str(v)[: limit + 1])

    complete = walk(value, 0)
    text = " ".join("".join(out).split())
    if not complete or len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


# --- the model ---


class Frame(Model):
    function: Text = None
    module: Text = None
    filename: Text = None
    abs_path: Text = None
    package: Text = None
    platform: Text = None
    lineno: int | None = None
    colno: int | None = None
    in_app: bool | None = Field(default=None, description="As the payload flagged it; None = not flagged")
    context_line: Text = None
    pre_context: list[str] = Field(default_factory=list)
    post_context: list[str] = Field(default_factory=list)
    vars: dict[str, str] | None = Field(default=None, description="Local variables; secret names redacted")
    instruction_addr: Text = None


class ExceptionInfo(Model):
    type: Text = None
    value: Text = None
    module: Text = None
    mechanism: Text = None
    handled: bool | None = None
    signal: Text = Field(default=None, description="Native crash: signal / Mach exception / errno names")
    thread_id: Text = None
    exception_id: int | None = Field(default=None, description="Exception groups: this exception's id")
    parent_id: int | None = Field(default=None, description="Exception groups: the id of its parent")
    source: Text = Field(default=None, description="How the parent holds it: `__cause__`, `exceptions[0]`…")
    is_group: bool = False
    frames: list[Frame] = Field(default_factory=list, description="Oldest first: the crash frame is last")


class Thread(Model):
    id: Text = None
    name: Text = None
    crashed: bool | None = None
    current: bool | None = None
    frames: list[Frame] = Field(default_factory=list)


class Breadcrumb(Model):
    time: Time = None
    type: Text = None
    category: Text = None
    level: Text = None
    message: Text = None
    data: Text = Field(default=None, description="One line; URLs and secret-named keys redacted")


class Request(Model):
    method: Text = None
    url: Text = Field(default=None, description="With its query string; secret-looking values redacted")


class Event(Model):
    id: str = ""
    time: Time = None
    title: Text = None
    message: Text = None
    level: Text = None
    platform: Text = None
    environment: Text = None
    release: Text = None
    transaction: Text = None
    culprit: Text = None
    logger: Text = None
    user_id: Text = None
    trace_id: Text = None
    tags: list[tuple[str, str]] = Field(default_factory=list)
    contexts: dict[str, str] = Field(default_factory=dict, description="runtime/os/browser/device: one line")
    exceptions: list[ExceptionInfo] = Field(default_factory=list, description="Oldest (root cause) first")
    threads: list[Thread] = Field(default_factory=list)
    stacktrace: list[Frame] = Field(default_factory=list, description="A top-level stacktrace (no exception)")
    breadcrumbs: list[Breadcrumb] = Field(default_factory=list)
    request: Request | None = None
    template: Frame | None = Field(default=None, description="Template errors: the template's location")
    evidence: list[tuple[str, str]] = Field(default_factory=list, description="Issue-platform evidence")

    def tag(self, key: str) -> str | None:
        for k, v in self.tags:
            if k == key:
                return v
        return None


# --- frames ---


def _vars(raw: Any) -> dict[str, str] | None:
    if isinstance(raw, list):  # positional (some PHP/JS SDKs): name them by index
        raw = {f"[{i}]": v for i, v in enumerate(raw[:20])}
    if not isinstance(raw, dict) or not raw:
        return None
    out: dict[str, str] = {}
    for key, value in raw.items():
        if len(out) >= 20:
            break
        name = str(key).strip("'\"")
        if is_secret_name(name):
            out[name] = REDACTED
            continue
        text = compact_repr(value, 240)
        out[name] = compact_repr(scrub_text(text), 200)
    return out


def _context_pairs(pairs: Any, lineno: int | None) -> tuple[list[str], str | None, list[str]]:
    """Sentry REST `context: [[lineNo, line], …]` → (pre, line, post) around `lineno`."""
    if not isinstance(pairs, list):
        return [], None, []
    rows = [(p[0], p[1]) for p in pairs if isinstance(p, list | tuple) and len(p) >= 2]
    if not rows:
        return [], None, []
    at = next((i for i, (n, _) in enumerate(rows) if _int(n) == lineno), None)
    if at is None:
        return [], None, []
    text = [_line_text(r[1]) for r in rows]
    return text[:at], text[at], text[at + 1 :]


def _frame(raw: dict[str, Any]) -> Frame:
    lineno = _int(_get(raw, "lineno", "lineNo", "line"))
    lineno = lineno if lineno and lineno > 0 else None  # 0 = unknown (Unity, .NET)
    context_line = raw.get("context_line", raw.get("contextLine"))
    pre = _lines(_get(raw, "pre_context", "preContext"), before=True)
    post = _lines(_get(raw, "post_context", "postContext"), before=False)
    if context_line is None and raw.get("context"):
        pre, context_line, post = _context_pairs(raw.get("context"), lineno)
    colno = _int(_get(raw, "colno", "colNo", "column"))
    return Frame(
        function=_name(_get(raw, "function", "rawFunction", "raw_function", "symbol")),
        module=_name(_get(raw, "module")),
        filename=_name(_get(raw, "filename")),
        abs_path=_name(_get(raw, "abs_path", "absPath")),
        package=_name(_get(raw, "package")),
        platform=_name(_get(raw, "platform")),
        lineno=lineno,
        colno=colno if colno and colno > 0 else None,
        in_app=_bool(_get(raw, "in_app", "inApp")),
        context_line=_line_text(context_line) if context_line is not None else None,
        pre_context=pre,
        post_context=post,
        vars=_vars(raw.get("vars")),
        instruction_addr=_addr(_get(raw, "instruction_addr", "instructionAddr")),
    )


def _name(value: Any) -> str | None:
    """A frame's names (function, file, module…): strings only (a dict there is damage), empty → None,
    bounded (a 1 MB "function" must not cost 1 MB per regex in the in-app inference)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value[:1000] if isinstance(value, str) and value.strip() else None


def _frames(stack: Any) -> list[Frame]:
    if isinstance(stack, list):  # a bare frame list
        return [_frame(f) for f in stack if isinstance(f, dict)]
    if not isinstance(stack, dict):
        return []
    frames = stack.get("frames")
    return [_frame(f) for f in frames if isinstance(f, dict)] if isinstance(frames, list) else []


def _stack_of(d: dict[str, Any]) -> list[Frame]:
    """The symbolicated stacktrace, else the raw one."""
    return _frames(d.get("stacktrace")) or _frames(_get(d, "raw_stacktrace", "rawStacktrace"))


# --- interfaces ---


def _exception_values(raw: Any) -> list[dict[str, Any]]:
    if (
        isinstance(raw, dict)
        and not isinstance(raw.get("values"), list | dict)
        and not isinstance(raw.get("value"), list | dict)
    ):
        # a single legacy exception object: {type, value, stacktrace}
        return [raw] if any(k in raw for k in ("type", "value", "stacktrace", "module")) else []
    return _dicts(raw)


def _signal(mech: dict[str, Any]) -> str | None:
    """`SIGSEGV`, `EXC_BAD_ACCESS`, `ENOENT`… from the mechanism's meta (or the legacy top-level keys)."""
    meta = mech.get("meta") if isinstance(mech.get("meta"), dict) else {}
    names = []
    for key in ("signal", "posix_signal", "mach_exception", "errno"):
        part = meta.get(key, mech.get(key))
        if not isinstance(part, dict):
            continue
        name = _str(_get(part, "name", "exception_name"))
        number = _str(_get(part, "number", "exception"))
        name = name or (
            f"{'errno' if key == 'errno' else key.replace('_', ' ')} {number}" if number else None
        )
        if name:
            code = _str(part.get("code_name"))
            names.append(f"{name} {code}" if code else name)
    ns_error = meta.get("ns_error")
    if isinstance(ns_error, dict) and ns_error.get("code") is not None:
        domain = _str(ns_error.get("domain"))
        names.append(f"{domain or 'NSError'} {_str(ns_error.get('code'))}")
    return " ".join(", ".join(names).split())[:120] or None


def _exceptions(raw: Any) -> list[ExceptionInfo]:
    out = []
    for v in _exception_values(raw):
        mech = v.get("mechanism")
        if isinstance(mech, str):  # old SDKs: the mechanism's type alone
            mech = {"type": mech}
        mech = mech if isinstance(mech, dict) else {}
        info = ExceptionInfo(
            type=_str(v.get("type")),
            value=_str(v.get("value")),
            module=_str(v.get("module")),
            mechanism=_str(mech.get("type")),
            handled=_bool(mech.get("handled")),
            signal=_signal(mech),
            thread_id=_str(_get(v, "thread_id", "threadId")),
            exception_id=_int(mech.get("exception_id")),
            parent_id=_int(mech.get("parent_id")),
            source=_str(mech.get("source")),
            is_group=_bool(mech.get("is_exception_group")) is True,
            frames=_stack_of(v),
        )
        if info.type or info.value or info.frames:
            if info.value:
                info.value = scrub_text(info.value)
            out.append(info)
    return out


def _threads(raw: Any) -> list[Thread]:
    return [
        Thread(
            id=_str(t.get("id")),
            name=_str(t.get("name")),
            crashed=_bool(t.get("crashed")),
            current=_bool(t.get("current")),
            frames=_stack_of(t),
        )
        for t in _dicts(raw)
    ]


def _message(raw: Any) -> str | None:
    """logentry / message interface / plain string → the formatted message."""
    if isinstance(raw, str):
        return raw or None
    if not isinstance(raw, dict):
        return None
    formatted = raw.get("formatted")
    if isinstance(formatted, str) and formatted:
        return formatted
    template = raw.get("message")
    if not isinstance(template, str) or not template:
        return None
    params = raw.get("params")
    if params and not _HUGE_WIDTH.search(template):
        try:
            return template % (tuple(params) if isinstance(params, list) else params)
        except Exception:  # any %-mismatch (TypeError, OverflowError on `%c`…): the template says enough
            return template
    return template


# `%99999999s` would allocate gigabytes; a real log template has no such width.
_HUGE_WIDTH = re.compile(r"%(?:\([^)]*\))?[-+ #0]*(?:\*|\d{4,})|%[-+ #0]*\d*\.(?:\*|\d{4,})")


def _pairs(value: Any) -> Iterator[tuple[Any, Any]]:
    """Key/value pairs from a dict, a list of `[k, v]`, or a list of `{key, value}`; null entries skipped."""
    if isinstance(value, dict):
        yield from value.items()
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, list | tuple) and len(item) >= 2:
                yield item[0], item[1]
            elif isinstance(item, dict) and "key" in item:
                yield item.get("key"), item.get("value")


def _request(raw: Any) -> Request | None:
    if not isinstance(raw, dict):
        return None
    url = _str(raw.get("url")) or ""
    query = raw.get("query_string") if raw.get("query_string") is not None else raw.get("query")
    if isinstance(query, str):
        qs = query.lstrip("?")
    else:
        # Pairs are decoded values: encode them, or `token=a&b` would split into `token=[redacted]&b`.
        qs = "&".join(
            f"{quote(str(k), safe='[]')}={'' if v is None else quote(_str(v) or '', safe='/:,[]@')}"
            for k, v in _pairs(query)
            if k is not None
        )
    if qs and "?" not in url:
        url = f"{url}?{qs}"
    fragment = _str(raw.get("fragment"))
    if fragment and "#" not in url:
        url = f"{url}#{fragment}"
    method = _str(raw.get("method"))
    if not url and not method:
        return None
    return Request(method=method, url=redact_url(url) if url else None)


def _crumb_data(data: Any) -> str | None:
    if not isinstance(data, dict) or not data:
        return None
    parts = []
    for key, value in data.items():
        if is_secret_name(key):
            parts.append(f"{key}={REDACTED}")
        else:
            parts.append(f"{key}={compact_repr(value, 160)}")
        if sum(len(p) for p in parts) > 300:
            break
    return scrub_text(", ".join(parts))


def _breadcrumbs(raw: Any) -> list[Breadcrumb]:
    crumbs = _dicts(raw)[-100:]  # no caller asks for more than 100
    out = []
    for c in crumbs:
        raw_data = c.get("data")
        data = raw_data if isinstance(raw_data, dict) else None
        message = _str(c.get("message"))
        summary = None
        if data and (c.get("type") == "http" or c.get("category") in ("http", "httplib", "xhr", "fetch")):
            # One line as a developer reads it: `GET https://… [500]`.
            bits = [_str(data.get("method")), _str(data.get("url"))]
            code = _str(data.get("status_code"))
            head = " ".join(b for b in bits if b)
            summary = scrub_text(f"{head} [{code}]" if code else head) or None
        elif data:
            summary = _crumb_data(data)
        elif raw_data not in (None, "", [], {}):  # a string or list where an object belongs: still the data
            summary = scrub_text(compact_repr(raw_data, 300))
        out.append(
            Breadcrumb(
                time=c.get("timestamp"),  # parsed by the Time field
                type=_str(c.get("type")),
                category=_str(c.get("category")),
                level=_str(c.get("level")),
                message=scrub_text(message) if message else None,
                data=summary,
            )
        )
    return out


def _tags(raw: Any) -> list[tuple[str, str]]:
    out = []
    for key, value in _pairs(raw):
        if key is None or key == "":
            continue
        k, v = str(key), "" if value is None else _str(value) or ""
        if k in ("sentry:user", "user") and not v.startswith("id:"):
            continue  # emails, usernames and IPs are not ours to repeat
        if k.lower() in _PII_TAGS:
            continue
        out.append((k, REDACTED if is_secret_name(k) else scrub_text(v)))
    return out


# Tags that carry the user's email, name or IP (DESIGN §4.6: the user is shown as an id only).
_PII_TAGS = frozenset(
    {"user.email", "user.ip", "user.ip_address", "user.username", "user.name", "email", "ip", "ip_address",
     "client_ip", "user_email", "username"}
)  # fmt: skip

_CONTEXT_KINDS = ("runtime", "os", "browser", "device")


def _context_line(kind: str, ctx: dict[str, Any]) -> str | None:
    name, version = _str(ctx.get("name")), _str(ctx.get("version"))
    if kind == "device":
        bits = [_str(ctx.get("family")), _str(ctx.get("model")), _str(ctx.get("arch"))]
        text = " ".join(b for b in bits if b) or name
    else:
        text = " ".join(b for b in (name, version) if b) or _str(ctx.get("raw_description"))
    return " ".join(text.split())[:120] if text else None


def _contexts(raw: Any) -> tuple[dict[str, str], str | None]:
    out: dict[str, str] = {}
    trace_id = None
    if not isinstance(raw, dict):
        return out, None
    for key, ctx in raw.items():
        if not isinstance(ctx, dict):
            continue
        kind = ctx.get("type") if ctx.get("type") in _CONTEXT_KINDS else key
        if key == "trace" or kind == "trace":
            trace_id = _str(ctx.get("trace_id")) or trace_id
        elif kind in _CONTEXT_KINDS and len(out) < 6:
            line = _context_line(kind, ctx)
            if line:
                out[str(key)] = line
    return out, trace_id


def _evidence(occurrence: Any) -> list[tuple[str, str]]:
    if not isinstance(occurrence, dict):
        return []
    out = []
    for item in _dicts(occurrence.get("evidenceDisplay"))[:8]:
        name, value = _str(item.get("name")), _str(item.get("value"))
        if name and value:
            out.append((name, scrub_text(value)))
    return out


# --- the two shapes ---

# Legacy interface names → the modern key.
_ALIASES = {
    "exception": ("exception", "sentry.interfaces.Exception"),
    "threads": ("threads", "sentry.interfaces.Threads"),
    "stacktrace": ("stacktrace", "sentry.interfaces.Stacktrace"),
    "message": ("logentry", "sentry.interfaces.Message", "sentry.interfaces.LogEntry"),
    "breadcrumbs": ("breadcrumbs", "sentry.interfaces.Breadcrumbs"),
    "request": ("request", "sentry.interfaces.Http"),
    "user": ("user", "sentry.interfaces.User"),
    "template": ("template", "sentry.interfaces.Template"),
}


def _interfaces(raw: dict[str, Any]) -> dict[str, Any]:
    """name → interface payload, from REST `entries[]` (looked up by type, not position) or top-level keys."""
    found: dict[str, Any] = {}
    entries = raw.get("entries")
    if isinstance(entries, list):
        for entry in entries:
            if isinstance(entry, dict) and isinstance(entry.get("type"), str):
                found.setdefault(entry["type"], entry.get("data"))
    for name, keys in _ALIASES.items():
        if found.get(name) is None:
            found[name] = next((raw[k] for k in keys if raw.get(k) is not None), None)
    if found.get("message") is None and isinstance(raw.get("message"), dict):
        found["message"] = raw["message"]  # legacy SDKs: message as an interface
    return found


def _release(value: Any) -> str | None:
    if isinstance(value, dict):  # REST: the release object
        return _str(_get(value, "version", "shortVersion"))
    return _str(value)


def _title(exceptions: list[ExceptionInfo], message: str | None) -> str | None:
    if exceptions:
        last = exceptions[-1]
        if last.type and last.value:
            return f"{last.type}: {last.value}"
        return last.type or last.value
    if message:
        return message.strip().splitlines()[0] if message.strip() else None
    return None


def _fill_from_threads(exceptions: list[ExceptionInfo], threads: list[Thread]) -> None:
    """An exception without frames takes its thread's stack (native crashes report it there)."""
    for exc in exceptions:
        if exc.frames:
            continue
        match = next((t for t in threads if exc.thread_id is not None and t.id == exc.thread_id), None)
        if match is None and exc is exceptions[-1]:
            match = next((t for t in threads if t.crashed), None)
        if match is not None and match.frames:
            exc.frames = match.frames


# When it happened, best first (a damaged first choice falls through to the next).
_TIME_KEYS = ("dateCreated", "timestamp", "datetime", "dateReceived", "receivedAt", "received")


def normalize_event(raw: dict[str, Any]) -> Event:
    """One upstream event (Sentry REST or SDK/Jentry shape, auto-detected) → `Event`. Never raises on odd
    input: unknown or damaged parts are left out."""
    if not isinstance(raw, dict):
        raw = {}
    ifaces = _interfaces(raw)
    exceptions = _exceptions(ifaces.get("exception"))
    threads = _threads(ifaces.get("threads"))
    _fill_from_threads(exceptions, threads)
    tags = _tags(raw.get("tags"))
    tag = dict(tags)
    contexts, trace_id = _contexts(raw.get("contexts"))
    message = _message(ifaces.get("message"))
    top_message = raw.get("message") if isinstance(raw.get("message"), str) else None
    if message is None and top_message and not (exceptions and top_message == _title(exceptions, None)):
        message = top_message  # REST: the formatted message; Jentry: a message, or the title (then skipped)
    message = scrub_text(message) if message else None
    user = ifaces.get("user") if isinstance(ifaces.get("user"), dict) else {}
    user_id = _str(user.get("id"))
    if user_id is None and tag.get("sentry:user", "").startswith("id:"):
        user_id = tag["sentry:user"][3:]
    title = _str(raw.get("title")) or _title(exceptions, message)
    if title is None and isinstance(raw.get("metadata"), dict):
        title = _str(raw["metadata"].get("title"))
    server = _str(raw.get("server_name"))
    if server and "server_name" not in tag:
        tags.append(("server_name", server))
    template = ifaces.get("template")
    return Event(
        id=_str(_get(raw, "eventID", "event_id", "id")) or "",
        time=next(filter(None, map(lenient_time, (raw.get(k) for k in _TIME_KEYS))), None),
        title=scrub_text(title) if title else None,
        message=message,
        level=_str(raw.get("level")) or tag.get("level"),
        platform=_str(raw.get("platform")),
        environment=_str(raw.get("environment")) or tag.get("environment"),
        release=_release(raw.get("release")) or tag.get("sentry:release") or tag.get("release"),
        transaction=_str(raw.get("transaction")) or tag.get("transaction"),
        culprit=_str(raw.get("culprit")),
        logger=_str(raw.get("logger")) or tag.get("logger"),
        user_id=user_id,
        trace_id=trace_id or _str(_get(raw, "traceId", "trace_id")) or tag.get("trace"),
        tags=tags,
        contexts=contexts,
        exceptions=exceptions,
        threads=threads,
        stacktrace=_stack_of({"stacktrace": ifaces.get("stacktrace")}),
        breadcrumbs=_breadcrumbs(ifaces.get("breadcrumbs")),
        request=_request(ifaces.get("request")),
        template=_frame(template) if isinstance(template, dict) else None,
        evidence=_evidence(raw.get("occurrence")),
    )


def summarize_event(event: Event) -> EventSummary:
    return EventSummary(
        id=event.id,
        time=event.time,
        release=event.release,
        environment=event.environment,
        user_id=event.user_id,
        message=event.message or event.title,
    )


# --- in-app inference and package names (used by the renderer) ---

# Paths and native images that are never the application's own code.
_LIBRARY_PATH = re.compile(
    r"site-packages|dist-packages|node_modules|<frozen|/lib/python\d|\\lib\\python|^/usr/(?:local/)?lib/"
    r"|/system/library/|/usr/lib/system/|[/\\]vendor[/\\]|\.cargo[/\\]registry|/rustc/|/go/pkg/mod/"
    r"|/usr/local/go/src/|/gems/|/jdk[^/]*/|webpack/bootstrap|^node:|^internal/|^c:\\windows\\"
    r"|\\windows\\system32\\|/lib/x86_64-linux-gnu/|/lib64/|libsystem_|libdyld|libc\+\+|libc\.so|libpthread"
    r"|\.framework/|^<anonymous>|^native$|\[native code\]",
    re.IGNORECASE,
)
_LIBRARY_MODULE = re.compile(
    r"^(?:java|javax|jdk|sun|com\.sun|kotlin|kotlinx|scala|android|androidx|dalvik|com\.android|org\.apache"
    r"|org\.springframework|org\.hibernate|io\.netty|io\.reactivex|okhttp3|System|Microsoft)(?:\.|$)"
)
_STDLIB = frozenset(getattr(sys, "stdlib_module_names", ()))


def looks_in_app(frame: Frame) -> bool:
    """Inferred in-app-ness for a frame nobody flagged: application code unless its path, module or image
    says library / standard library / system, or it has nothing to tell (a bare address)."""
    path = frame.abs_path or frame.filename or ""
    if path and _LIBRARY_PATH.search(path):
        return False
    if frame.package and _LIBRARY_PATH.search(frame.package):
        return False
    module = frame.module or ""
    if module:
        if _LIBRARY_MODULE.match(module):
            return False
        if not path and frame.platform in (None, "python") and module.split(".")[0] in _STDLIB:
            return False
    if not (path or module or frame.function):
        return False
    return not (frame.function or "").startswith("<redacted")


def in_app_flags(frames: list[Frame]) -> list[bool]:
    """Per frame: in-app? Explicit flags win; unflagged frames are inferred from their path."""
    return [f.in_app if f.in_app is not None else looks_in_app(f) for f in frames]


_PKG_AFTER = re.compile(r"(?:site-packages|dist-packages|node_modules)[/\\]((?:@[^/\\]+[/\\])?[^/\\]+)")
_STDLIB_PATH = re.compile(r"[/\\]lib[/\\]python\d[\d.]*[/\\]([^/\\]+)")


def package_of(frame: Frame) -> str:
    """A short name for the library a frame belongs to, for `… 13 frames in starlette`."""
    path = frame.abs_path or frame.filename or ""
    found = _PKG_AFTER.findall(path)
    if found:
        name = found[-1].replace("\\", "/")
        return name[:-3] if name.endswith(".py") else name
    m = _STDLIB_PATH.search(path)
    if m:
        name = m.group(1)
        return name[:-3] if name.endswith(".py") else name
    if frame.package:  # a native image path, or a .NET assembly name with its version
        return frame.package.split(",")[0].replace("\\", "/").rsplit("/", 1)[-1]
    if frame.module:
        parts = frame.module.removeprefix("Elixir.").split(".")  # Elixir modules all start `Elixir.`
        return ".".join(parts[:2]) if _LIBRARY_MODULE.match(frame.module) and len(parts) > 2 else parts[0]
    if path:
        return path.replace("\\", "/").rsplit("/", 1)[-1]
    m = _NAMESPACE.match(frame.function or "")
    if m:  # Unity/.NET frames without file or module: `UnityEngine.UI.Button.Press ()` → UnityEngine
        return m.group(1)
    return "native"


_NAMESPACE = re.compile(r"([A-Za-z_][\w]*)\.[A-Za-z_][\w`\[\]]*[.:]")
