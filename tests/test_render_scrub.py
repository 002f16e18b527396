"""A token split by invisible characters in event data is not re-joined by the renderer (issue 11, item 2).

The HTTP layer replaces the exact token in parsed JSON, so `tok<ESC>[0men` passes it; the renderer then
drops terminal escapes and escapes controls. The final text is scrubbed after that, with the upstream's own
scrubber (the configured token and the request's), on both backends."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from mcp_helpers import DEMO_BACKENDS, JENTRY_TOKEN, SENTRY_TOKEN, inproc, text_of
from sdk_events import sdk_events
from stacklens.events import normalize_event
from stacklens.render.event import render_event

SPLITTERS = {
    "nul": "\x00",
    "zero-width": "\u200b",
    "bidi": "\u202e",
    "ansi": "\x1b[0m",
    "ansi-osc": "\x1b]0;t\x07",
}
ISSUE = {"sentry": "6120004400", "jentry": "101"}
TOKENS = {"sentry": SENTRY_TOKEN, "jentry": JENTRY_TOKEN}


def _split(token: str, splitter: str) -> str:
    half = len(token) // 2
    return token[:half] + splitter + token[half:]


def _event_with(text: str) -> dict[str, Any]:
    ev = copy.deepcopy(sdk_events()["request"])
    ev["exception"]["values"][-1]["value"] = f"auth failed with {text}"
    ev["message"] = f"token was {text}"
    frame = ev["exception"]["values"][-1]["stacktrace"]["frames"][-1]
    frame.setdefault("vars", {})["header"] = text
    frame["context_line"] = f"    call({text!r})"
    ev.setdefault("tags", {})["who"] = text
    return ev


@pytest.mark.parametrize("kind", SPLITTERS)
def test_render_scrubs_after_removing_controls(kind: str) -> None:
    token = "sntrys_abcdefgh12345678"
    ev = normalize_event(_event_with(_split(token, SPLITTERS[kind])))
    for frames in ("relevant", "all"):
        text, _ = render_event(ev, frames=frames, scrub=lambda t: t.replace(token, "[token]"))  # type: ignore[arg-type]
        assert token not in text
    if kind == "ansi":  # the case the scrub is for: the renderer drops the escape, joining the halves
        assert token in render_event(ev)[0]


@pytest.mark.anyio
@pytest.mark.parametrize("backend", DEMO_BACKENDS)
@pytest.mark.parametrize("kind", SPLITTERS)
async def test_e2e_split_token_never_in_event_text(
    backend: str, kind: str, sandbox: Any, sandbox_url: str
) -> None:
    token = TOKENS[backend]
    key = next(k for k, v in sandbox.issues.items() if str(v.get("jentryId")) == "101")
    latest = sandbox.events[key][0]["sdk"]
    payload = _event_with(_split(token, SPLITTERS[kind]))
    for field in ("event_id", "timestamp"):
        payload[field] = latest[field]
    sandbox.events[key][0]["sdk"] = payload
    async with inproc(backend, sandbox_url) as client:
        for tool, args in (
            ("get_latest_event", {"issue": ISSUE[backend], "breadcrumbs": 100}),
            ("get_event", {"issue": ISSUE[backend], "event_id": "latest", "frames": "all"}),
        ):
            result = await client.call_tool(tool, args)
            assert not result.is_error, text_of(result)
            assert token not in text_of(result)
            assert "auth failed with" in text_of(result)
        uri = f"{'jentry' if backend == 'jentry' else 'sentry'}://issues/{ISSUE[backend]}/events/latest"
        resource = await client.read_resource(uri)
        assert token not in "".join(getattr(c, "text", "") for c in resource.contents)
