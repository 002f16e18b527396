"""Stack traces, exceptions and threads of an event payload (either shape) → `Frame`/`ExceptionInfo`/`Thread`.

Frames come as snake_case (SDK) or camelCase (REST), context as lists or REST `[[lineNo, line], …]` pairs,
stacks symbolicated or raw; what cannot be read is dropped. Locals are redacted here.
"""

from __future__ import annotations

from typing import Any

from stacklens.events.limits import CONTEXT_PAIRS, EXCEPTIONS, TEXT, THREADS, FrameBudget, gap_at
from stacklens.events.model import ExceptionInfo, Frame, Thread
from stacklens.events.read import objects, value_text
from stacklens.events.redact import REDACTED, TEXT_MAX, compact_repr, is_secret_name, scrub_text
from stacklens.lenient import JsonObject, boolean, first, integer


def _line_text(value: Any) -> str:
    """A source line: a string as is; a number (`1 / 0` sent as data by a broken SDK) as its text."""
    if isinstance(value, str):
        return value.rstrip("\r\n")[:TEXT_MAX]
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
    text = value_text(value)
    return text[:40] if text else None


def _vars(raw: Any) -> dict[str, str] | None:
    if isinstance(raw, list):  # positional (some PHP/JS SDKs): name them by index
        raw = {f"[{i}]": v for i, v in enumerate(raw[:20])}
    if not isinstance(raw, dict) or not raw:
        return None
    out: dict[str, str] = {}
    for key, value in raw.items():
        if len(out) >= 20:
            break
        name = str(key)[:TEXT].strip("'\"")
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
    rows = [(p[0], p[1]) for p in pairs[:CONTEXT_PAIRS] if isinstance(p, list | tuple) and len(p) >= 2]
    if not rows:
        return [], None, []
    at = next((i for i, (n, _) in enumerate(rows) if integer(n) == lineno), None)
    if at is None:
        return [], None, []
    text = [_line_text(r[1]) for r in rows]
    return text[:at], text[at], text[at + 1 :]


def frame(raw: JsonObject) -> Frame:
    lineno = integer(first(raw, "lineno", "lineNo", "line"))
    lineno = lineno if lineno and lineno > 0 else None  # 0 = unknown (Unity, .NET)
    context_line = raw.get("context_line", raw.get("contextLine"))
    pre = _lines(first(raw, "pre_context", "preContext"), before=True)
    post = _lines(first(raw, "post_context", "postContext"), before=False)
    if context_line is None and raw.get("context"):
        pre, context_line, post = _context_pairs(raw.get("context"), lineno)
    colno = integer(first(raw, "colno", "colNo", "column"))
    return Frame(
        function=_name(first(raw, "function", "rawFunction", "raw_function", "symbol")),
        module=_name(first(raw, "module")),
        filename=_name(first(raw, "filename")),
        abs_path=_name(first(raw, "abs_path", "absPath")),
        package=_name(first(raw, "package")),
        platform=_name(first(raw, "platform")),
        lineno=lineno,
        colno=colno if colno and colno > 0 else None,
        in_app=boolean(first(raw, "in_app", "inApp")),
        context_line=_line_text(context_line) if context_line is not None else None,
        pre_context=pre,
        post_context=post,
        vars=_vars(raw.get("vars")),
        instruction_addr=_addr(first(raw, "instruction_addr", "instructionAddr")),
    )


def _name(value: Any) -> str | None:
    """A frame's names (function, file, module…): strings only (a dict there is damage), empty → None,
    bounded (a 1 MB "function" must not cost 1 MB per regex in the in-app inference)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value[:1000] if isinstance(value, str) and value.strip() else None


def _frames(stack: Any, budget: FrameBudget) -> tuple[list[Frame], int]:
    """The frames of one stack and how many were not read: of a huge stack the oldest few and the newest
    (the budget's share) are kept, and only those are built."""
    if isinstance(stack, dict):
        stack = stack.get("frames")
    if not isinstance(stack, list):
        return [], 0
    raw = [f for f in stack if isinstance(f, dict)]
    if not raw:
        return [], 0
    keep = budget.take(len(raw))
    dropped = len(raw) - keep
    if dropped:
        oldest = gap_at(keep)
        raw = raw[:oldest] + raw[len(raw) - (keep - oldest) :]
    return [frame(f) for f in raw], dropped


def stack_of(d: JsonObject, budget: FrameBudget | None = None) -> tuple[list[Frame], int]:
    """The symbolicated stacktrace, else the raw one; with the count of frames not read."""
    budget = budget if budget is not None else FrameBudget()
    found = _frames(d.get("stacktrace"), budget)
    return found if found[0] else _frames(first(d, "raw_stacktrace", "rawStacktrace"), budget)


def _exception_values(raw: Any) -> list[JsonObject]:
    if (
        isinstance(raw, dict)
        and not isinstance(raw.get("values"), list | dict)
        and not isinstance(raw.get("value"), list | dict)
    ):
        # a single legacy exception object: {type, value, stacktrace}
        return [raw] if any(k in raw for k in ("type", "value", "stacktrace", "module")) else []
    return objects(raw, scan=None)  # exceptions_of keeps the root cause and the newest


def _signal(mech: JsonObject) -> str | None:
    """`SIGSEGV`, `EXC_BAD_ACCESS`, `ENOENT`… from the mechanism's meta (or the legacy top-level keys)."""
    raw_meta = mech.get("meta")
    meta: JsonObject = raw_meta if isinstance(raw_meta, dict) else {}
    names = []
    for key in ("signal", "posix_signal", "mach_exception", "errno"):
        part = meta.get(key, mech.get(key))
        if not isinstance(part, dict):
            continue
        name = value_text(first(part, "name", "exception_name"))
        number = value_text(first(part, "number", "exception"))
        name = name or (
            f"{'errno' if key == 'errno' else key.replace('_', ' ')} {number}" if number else None
        )
        if name:
            code = value_text(part.get("code_name"))
            names.append(f"{name} {code}" if code else name)
    ns_error = meta.get("ns_error")
    if isinstance(ns_error, dict) and ns_error.get("code") is not None:
        domain = value_text(ns_error.get("domain"))
        names.append(f"{domain or 'NSError'} {value_text(ns_error.get('code'))}")
    return " ".join(", ".join(names).split())[:120] or None


def exceptions_of(raw: Any, budget: FrameBudget) -> tuple[list[ExceptionInfo], int]:
    """The exceptions (root cause first) and how many were not read: of a huge chain the root cause and
    the newest are kept. The newest are read first, so they get the frame budget."""
    values = _exception_values(raw)
    dropped = max(0, len(values) - EXCEPTIONS)
    if dropped:
        values = values[:1] + values[len(values) - (EXCEPTIONS - 1) :]
    out: list[ExceptionInfo] = []
    for v in reversed(values):
        mech = v.get("mechanism")
        if isinstance(mech, str):  # old SDKs: the mechanism's type alone
            mech = {"type": mech}
        mech = mech if isinstance(mech, dict) else {}
        frames, frames_dropped = stack_of(v, budget)
        info = ExceptionInfo(
            type=value_text(v.get("type")),
            value=value_text(v.get("value")),
            module=value_text(v.get("module")),
            mechanism=value_text(mech.get("type")),
            handled=boolean(mech.get("handled")),
            signal=_signal(mech),
            thread_id=value_text(first(v, "thread_id", "threadId")),
            exception_id=integer(mech.get("exception_id")),
            parent_id=integer(mech.get("parent_id")),
            source=value_text(mech.get("source")),
            is_group=boolean(mech.get("is_exception_group")) is True,
            frames=frames,
            frames_dropped=frames_dropped,
        )
        if info.type or info.value or info.frames:
            if info.value:
                info.value = scrub_text(info.value)
            out.append(info)
    out.reverse()
    return out, dropped


def threads_of(raw: Any, budget: FrameBudget, wanted: set[str]) -> list[Thread]:
    """The threads, at most `limits.THREADS`: crashed or current ones and those `wanted` (named by an
    exception) first, in their order; the crashed one is read first, so it gets the frame budget."""
    values = objects(raw, scan=None)
    if len(values) > THREADS:
        key = [
            bool(t.get("crashed") or t.get("current")) or value_text(t.get("id")) in wanted for t in values
        ]
        chosen = [i for i, k in enumerate(key) if k][:THREADS]
        rest = [i for i, k in enumerate(key) if not k][: THREADS - len(chosen)]
        values = [values[i] for i in sorted(chosen + rest)]
    order = sorted(range(len(values)), key=lambda i: boolean(values[i].get("crashed")) is not True)
    threads: dict[int, Thread] = {}
    for i in order:
        t = values[i]
        frames, dropped = stack_of(t, budget)
        threads[i] = Thread(
            id=value_text(t.get("id")),
            name=value_text(t.get("name")),
            crashed=boolean(t.get("crashed")),
            current=boolean(t.get("current")),
            frames=frames,
            frames_dropped=dropped,
        )
    return [threads[i] for i in range(len(values))]
