"""Frame relevance: which frames are the application's own (explicit flags, else inferred from path, module
or image) and a short package name for the library frames folded away (`… 13 frames in starlette`)."""

from __future__ import annotations

import re
import sys

from stacklens.events.model import Frame

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
    found: list[str] = _PKG_AFTER.findall(path)
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
