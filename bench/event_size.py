"""Event text size vs the raw payload, and whether the facts a developer needs survive the trimming.

    python bench/event_size.py [--corpus DIR] [--check]

Events: the real sentry-sdk events the tests generate (tests/sdk_events.py), each as Sentry's REST API and
as Jentry returns it, plus, when present, `../shared/corpus/ingest/*.json` and
`../shared/corpus/api/**/*event*.json` (relative to the repo root; skipped cleanly when absent).

Per event: raw bytes (compact JSON), stacklens bytes (default options), ratio, the bytes of a naive
formatter (every frame with all its source context, every breadcrumb and tag: what simple servers return),
retention: is every exception type and value, every in-app frame (function + line), the crash line, the
release, the environment, the request URL and the last breadcrumb of the raw payload present in stacklens's
text? And the structured content's size next to the text's: the same facts for scripts, no copies.

Targets (issues 5, 14): median ratio ≤ 0.10, every event ≤ 8 KB, retention 100%, structured content ≤ 2.5×
the text. `--check` exits 1 on a miss.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]

from _rpc import table  # noqa: E402

from stacklens.events import Event, Frame, normalize_event, scrub_text  # noqa: E402
from stacklens.render.event import BUDGET, render_event  # noqa: E402

MAX_RATIO = 0.10
MAX_STRUCTURED = 2.5  # the same facts as JSON: keys cost bytes, copies must not


# --- the events ---


def sdk_payloads() -> list[tuple[str, dict[str, Any]]]:
    from sdk_events import sdk_events, to_jentry_event, to_sentry_event

    out = []
    for name, raw in sdk_events().items():
        out.append((f"sdk:{name} (sentry)", to_sentry_event(raw)))
        out.append((f"sdk:{name} (jentry)", to_jentry_event(raw)))
    return out


def corpus_payloads(corpus: Path) -> list[tuple[str, dict[str, Any]]]:
    if not corpus.is_dir():
        return []
    files = sorted((corpus / "ingest").glob("*.json")) + sorted((corpus / "api").glob("**/*event*.json"))
    out = []
    for path in files:
        data = json.loads(path.read_text())
        name = str(path.relative_to(corpus))
        if isinstance(data, dict):
            out.append((name, data))
        elif isinstance(data, list):  # an event list response: each element is an event
            out += [(f"{name}[{i}]", e) for i, e in enumerate(data) if isinstance(e, dict)]
    return out


# --- the facts, read from the raw payload independently of stacklens's normalizer ---


def _values(container: Any) -> list[dict[str, Any]]:
    if isinstance(container, dict):
        inner = container.get("values", container.get("value"))
        if isinstance(inner, list):
            return [v for v in inner if isinstance(v, dict)]
        if isinstance(inner, dict):
            return [inner]
        return [container] if "type" in container or "stacktrace" in container else []
    if isinstance(container, list):
        return [v for v in container if isinstance(v, dict)]
    return []


def _entry(raw: dict[str, Any], kind: str) -> Any:
    for entry in raw.get("entries") or []:
        if isinstance(entry, dict) and entry.get("type") == kind:
            return entry.get("data")
    return None


def _frames(holder: dict[str, Any]) -> list[dict[str, Any]]:
    for key in ("stacktrace", "raw_stacktrace", "rawStacktrace"):
        stack = holder.get(key)
        frames = stack.get("frames") if isinstance(stack, dict) else None
        if frames:
            return [f for f in frames if isinstance(f, dict)]
    return []


def _line(frame: dict[str, Any]) -> int | None:
    line = frame.get("lineno", frame.get("lineNo"))
    return line if isinstance(line, int) and line > 0 else None


def _context_line(frame: dict[str, Any]) -> str | None:
    if isinstance(frame.get("context_line"), str):
        return frame["context_line"]
    for pair in frame.get("context") or []:
        if isinstance(pair, list) and len(pair) == 2 and pair[0] == _line(frame):
            return pair[1]
    return None


def facts(
    raw: dict[str, Any],
) -> tuple[list[tuple[str, str]], list[tuple[str | None, int | None]], str | None]:
    """(exception type, value) pairs, in-app (function, line) pairs, and the crash line."""
    excs = _values(_entry(raw, "exception") or raw.get("exception") or raw.get("sentry.interfaces.Exception"))
    stacks = [_frames(e) for e in excs]
    if not any(stacks):
        threads = _values(_entry(raw, "threads") or raw.get("threads"))
        with_frames = [t for t in threads if _frames(t)]
        crashed = [t for t in with_frames if t.get("crashed")] or with_frames
        top = _entry(raw, "stacktrace") or raw.get("stacktrace") or raw.get("sentry.interfaces.Stacktrace")
        if crashed:
            stacks = [_frames(crashed[0])]
        elif isinstance(top, dict):
            stacks = [[f for f in top.get("frames") or [] if isinstance(f, dict)]]
    labels = [(str(e.get("type") or ""), str(e.get("value") or "")) for e in excs]
    in_app = [
        (f.get("function"), _line(f))
        for frames in stacks
        for f in frames
        if f.get("in_app", f.get("inApp")) is True and (f.get("function") or _line(f))
    ]
    primary = [f for f in (stacks[-1] if stacks else []) if f.get("in_app", f.get("inApp")) is True]
    crash = _context_line(primary[-1]) if primary else None
    return labels, list(dict.fromkeys(in_app)), crash


def _tag(raw: dict[str, Any], *keys: str) -> str | None:
    tags = raw.get("tags")
    pairs = tags.items() if isinstance(tags, dict) else tags if isinstance(tags, list) else []
    for pair in pairs:
        key, value = (pair.get("key"), pair.get("value")) if isinstance(pair, dict) else tuple(pair)[:2]
        if key in keys and isinstance(value, str):
            return value
    return None


def context_facts(raw: dict[str, Any]) -> dict[str, str]:
    """Release, environment, request URL (without its query, which is redacted) and the last breadcrumb."""
    out: dict[str, str] = {}
    release = raw.get("release")
    release = release.get("version") if isinstance(release, dict) else release
    release = release or _tag(raw, "sentry:release", "release")
    if isinstance(release, str) and release:
        out["release"] = release
    environment = raw.get("environment") or _tag(raw, "environment")
    if isinstance(environment, str) and environment:
        out["environment"] = environment
    request = _entry(raw, "request") or raw.get("request") or raw.get("sentry.interfaces.Http")
    url = request.get("url") if isinstance(request, dict) else None
    if isinstance(url, str) and url:
        out["request URL"] = url.split("?")[0].split("#")[0]
    crumbs = _values(
        _entry(raw, "breadcrumbs") or raw.get("breadcrumbs") or raw.get("sentry.interfaces.Breadcrumbs")
    )
    if crumbs:
        last = crumbs[-1]
        data = last.get("data") if isinstance(last.get("data"), dict) else {}
        said = last.get("message") or data.get("url") or last.get("category")
        if isinstance(said, str) and said.strip():
            out["last breadcrumb"] = said
    return out


def missing(raw: dict[str, Any], text: str) -> list[str]:
    labels, in_app, crash = facts(raw)
    lines = text.splitlines()
    flat = " ".join(text.split())
    gone = []
    for what, value in context_facts(raw).items():
        shown = scrub_text(" ".join(value.split()))[:80]
        if shown not in flat:
            gone.append(f"{what} {shown[:40]}")
    for kind, value in labels:
        shown = " ".join(scrub_text(value).split())[:100]
        if kind and kind not in text:
            gone.append(f"type {kind}")
        if shown and shown not in text:
            gone.append(f"value {shown[:40]}")
    for function, line in in_app:
        needles = [x for x in (f":{line}" if line else None, (function or "")[:60] or None) if x]
        if not any(all(n in row for n in needles) for row in lines):
            gone.append(f"frame {function}:{line}")
    if crash and crash.strip():
        shown = scrub_text(" ".join(crash.split()), code=True)[:100]
        if shown not in flat:
            gone.append(f"crash line {shown[:40]}")
    return gone


# --- the naive formatter to compare with ---


def naive(ev: Event) -> str:
    """What simple servers do: every exception and frame with all the source context the payload has,
    every breadcrumb, tag and context."""
    out = [f"# {ev.title}", f"id {ev.id} time {ev.time} env {ev.environment} release {ev.release}"]

    def frames(items: list[Frame]) -> None:
        for f in items:
            out.append(f'  File "{f.abs_path or f.filename}", line {f.lineno}, in {f.function}')
            out.extend(f"    {line}" for line in (*f.pre_context, f.context_line or "", *f.post_context))

    for exc in ev.exceptions:
        out.append(f"## {exc.type}: {exc.value}")
        frames(exc.frames)
    for thread in ev.threads:
        out.append(f"## thread {thread.name or thread.id}")
        frames(thread.frames)
    frames(ev.stacktrace)
    out += [f"{k}={v}" for k, v in ev.tags] + [f"{k}: {v}" for k, v in ev.contexts.items()]
    out += [f"{c.time} {c.category} {c.level} {c.message} {c.data}" for c in ev.breadcrumbs]
    if ev.request:
        out.append(f"{ev.request.method} {ev.request.url}")
    return "\n".join(out)


# --- main ---


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()

    payloads = sdk_payloads()
    corpus = corpus_payloads(args.corpus)
    if not corpus:
        print(f"(no corpus at {args.corpus}: sdk-generated events only)\n")
    payloads += corpus

    rows, results, failures, shapes = [], [], [], []
    for name, raw in payloads:
        raw_bytes = len(json.dumps(raw, separators=(",", ":"), ensure_ascii=False).encode())
        event = normalize_event(raw)
        text, trimmed = render_event(event)
        ours, plain = len(text.encode()), len(naive(event).encode())
        structured = len(json.dumps(trimmed.structured(), separators=(",", ":"), ensure_ascii=False).encode())
        shapes.append(structured / ours)
        gone = missing(raw, text)
        results.append((raw_bytes, ours, plain))
        if gone:
            failures.append((name, gone))
        kept = "yes" if not gone else f"NO ({len(gone)})"
        rows.append([name, str(raw_bytes), str(ours), f"{ours / raw_bytes:.3f}", str(structured), str(plain),
                     f"{plain / raw_bytes:.3f}", kept])  # fmt: skip

    heads = [
        "event",
        "raw B",
        "stacklens B",
        "ratio",
        "structured B",
        "naive B",
        "naive ratio",
        "all facts kept",
    ]
    print(table(heads, rows))
    ratios = [o / r for r, o, _ in results]
    median, worst = statistics.median(ratios), max(o for _, o, _ in results)
    big = [o / r for r, o, _ in results if r >= 4096]
    naive_median = statistics.median(p / r for r, _, p in results)
    big_median = statistics.median(big) if big else float("nan")
    print(f"\n{len(results)} events: median ratio {median:.3f} (naive formatter {naive_median:.3f})")
    print(f"events ≥ 4 KB raw ({len(big)} of them): median ratio {big_median:.3f}")
    small = [(r, o) for r, o, _ in results if r < 4096]
    if small:
        # Why small events miss the ratio: their text is the facts themselves plus the fixed delimiting
        # (preface + fence) every answer carries; the ratio without it shows how much of it that is.
        frame = len(render_event(Event())[0].encode())
        bare = statistics.median((o - frame) / r for r, o in small)
        print(
            f"events < 4 KB raw ({len(small)} of them): median ratio {statistics.median(o / r for r, o in small):.3f}"
            f", median text {statistics.median(o for _, o in small):.0f} B of which {frame} B are the fixed"
            f" data-block delimiters (without them: {bare:.3f})"
        )
    generated = [
        o / r for (name, _), (r, o, _) in zip(payloads, results, strict=True) if name.startswith("sdk:")
    ]
    if generated:
        print(f"sdk-generated events ({len(generated)}): median ratio {statistics.median(generated):.3f}")
    total_raw, total_ours = sum(r for r, _, _ in results), sum(o for _, o, _ in results)
    kept = 100 * (len(results) - len(failures)) / len(results)
    print(f"all together: {total_ours:,} B of text for {total_raw:,} B of JSON; largest text {worst:,} B")
    print(
        f"structured content (compact JSON) vs the text: median {statistics.median(shapes):.2f}×, largest"
        f" {max(shapes):.2f}×"
    )
    print(
        f"retention: {kept:.0f}% of events keep every exception type and value, in-app frame, crash line,"
        " release, environment, request URL and last breadcrumb"
    )
    for name, gone in failures:
        print(f"  missing in {name}: {', '.join(gone)}")
    verdict = {
        f"median ratio ≤ {MAX_RATIO}": median <= MAX_RATIO,
        f"every event ≤ {BUDGET // 1024} KB": worst <= BUDGET,
        "retention 100%": not failures,
        f"structured ≤ {MAX_STRUCTURED:g}× text": max(shapes) <= MAX_STRUCTURED,
    }
    print("targets: " + " · ".join(f"{k} {'OK' if v else 'MISS'}" for k, v in verdict.items()))
    return 1 if args.check and not all(verdict.values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
