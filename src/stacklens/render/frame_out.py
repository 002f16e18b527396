"""One frame → `FrameOut`: file, function, line, the source around the crash line, locals."""

from __future__ import annotations

import re
import textwrap

from stacklens.events import Frame, package_of, scrub_text
from stacklens.render.event_model import FrameOut, SourceLine
from stacklens.render.labels import cut


def _file(f: Frame) -> str | None:
    path = " ".join((f.filename or f.abs_path or "").split()) or None
    if path is None:
        return None
    full = (f.abs_path or "").replace("\\", "/")
    if "/" not in path and "\\" not in path and full.endswith("/" + path):
        # A bare file name (`__init__.py`, `views.py`): its directory tells which one.
        parent = full[: -len(path) - 1].rsplit("/", 1)[-1]
        path = f"{parent}/{path}" if parent else path
    return path if len(path) <= 80 else "…" + path[-79:]


_QUALIFIED = (".java", ".kt", ".scala", ".groovy", ".cs", ".clj")


def _function(f: Frame) -> str | None:
    fn = f.function
    qualified = (f.filename or "").endswith(_QUALIFIED) or (
        not (f.filename or f.abs_path) and _DOTTED.fullmatch(f.module or "") is not None
    )  # a .NET/JVM frame without a file: its class is all that says where
    if fn and f.module and qualified and "." not in fn:
        fn = f"{f.module}.{fn}"  # JVM/.NET readers expect Class.method
    return cut(fn, 100) if fn else None


_DOTTED = re.compile(r"[A-Za-z_$][\w$`]*(?:\.[A-Za-z_$<][\w$`<>]*)+")


def _indent(line: str) -> int:
    expanded = line.replace("\t", "    ")
    return len(expanded) - len(expanded.lstrip())


# Lines after the crash line: one shows how the statement goes on; the lines before it say how it got there.
AFTER = 1


def _source(f: Frame, radius: int) -> list[SourceLine]:
    if f.context_line is None:
        return []
    pre = f.pre_context[-radius:] if radius else []
    if f.lineno is not None:
        pre = pre[max(0, len(pre) - (f.lineno - 1)) :]  # more lines before line 3 than 2 is damage
    post = f.post_context[: min(radius, AFTER)]
    start = (f.lineno - len(pre)) if f.lineno is not None else None
    numbered = [
        (start + i if start is not None else None, text) for i, text in enumerate([*pre, f.context_line])
    ]
    numbered += [(f.lineno + 1 + i if f.lineno is not None else None, text) for i, text in enumerate(post)]
    crash_at = len(pre)
    # Blank lines say nothing (the numbers show the gaps); dedent the rest to save bytes but keep alignment.
    keep = [i for i, (_, text) in enumerate(numbered) if text.strip() or i == crash_at]
    # Past a blank line, a line indented less than the crash line is the next block (the next function,
    # a module-level statement): not the crash's context.
    depth = _indent(f.context_line)
    gap = next((i for i in range(crash_at + 1, len(numbered)) if not numbered[i][1].strip()), None)
    if gap is not None:
        rest = range(gap, len(numbered))
        stop = next((i for i in rest if numbered[i][1].strip() and _indent(numbered[i][1]) < depth), None)
        keep = [i for i in keep if stop is None or i < stop]
    flat = [" ".join(numbered[i][1].replace("\t", "    ").splitlines()) for i in keep]  # no smuggled lines
    body = textwrap.dedent("\n".join(flat)).split("\n")
    out = []
    for i, text in zip(keep, body, strict=True):
        shown = scrub_text(text.rstrip(), code=True)
        out.append(SourceLine(line=numbered[i][0], code=shown[:160], crash=i == crash_at))
    return out


def frame_out(f: Frame, app: bool, crash: bool, *, code: bool, source: int | None, vars_: bool) -> FrameOut:
    out = FrameOut(
        function=_function(f),
        file=_file(f),
        line=f.lineno,
        column=f.colno or None,
        # Without a line number the address is the frame's location (symbolicate it, match it to an image).
        address=cut(f.instruction_addr, 40) or None if f.lineno is None else None,
        package=cut(package_of(f), 60) if f.package and not (f.filename or f.abs_path) else None,
        in_app=app,
        crash=crash,
    )
    if source is not None:
        out.source = _source(f, source)
    if code and not out.source and f.context_line:
        out.code = cut(scrub_text(f.context_line, code=True), 140)
    if vars_ and f.vars:
        shown = {k: v for k, v in f.vars.items() if not k.startswith("__")}
        out.vars = {cut(k, 40): cut(v, 80) for k, v in list(shown.items())[:10]}
    return out
