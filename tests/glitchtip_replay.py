"""A real local HTTP server answering as the recorded GlitchTip did (tests/recordings/glitchtip/*.json).

Requests are matched by method + path + sorted query. A key recorded several times (a write changes what a
later read answers) answers its recordings in order and then keeps answering the last one. Every request is
kept in `received`, and a request no recording holds is answered 404 and kept in `unmatched`, so tests can
assert the backend only used routes GlitchTip serves.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from stacklens.sandbox.serve import serve_in_thread

RECORDINGS = Path(__file__).parent / "recordings" / "glitchtip"
TOKEN = "RECORDED-TOKEN"  # what scripts/record_glitchtip.py writes in place of the real token
HOST = "glitchtip.test"  # what it writes in place of host:port

Key = tuple[str, str, tuple[tuple[str, str], ...]]


def load(name: str) -> list[dict[str, Any]]:
    exchanges: list[dict[str, Any]] = json.loads((RECORDINGS / f"{name}.json").read_text())["exchanges"]
    return exchanges


def scenario_names() -> list[str]:
    return sorted(p.stem for p in RECORDINGS.glob("*.json"))


def key_of(method: str, path: str, query: Iterable[Iterable[str]]) -> Key:
    pairs = tuple(sorted((str(k), str(v)) for k, v in query))
    return (method.upper(), path, pairs)


def is_unserved(response: dict[str, Any]) -> bool:
    """A recorded answer that means "GlitchTip has no such route/shape": HTML pages, 405, 422, 5xx."""
    status = int(response["status"])
    return status in (404, 405, 422) or status >= 500 or "html" in str(response["content_type"])


@dataclass
class Replay:
    scenarios: list[str]
    base: str = ""
    answers: dict[Key, list[dict[str, Any]]] = field(default_factory=dict)
    received: list[Key] = field(default_factory=list)
    unmatched: list[Key] = field(default_factory=list)
    recorded: dict[Key, list[dict[str, Any]]] = field(default_factory=dict)  # never consumed

    def __post_init__(self) -> None:
        for name in self.scenarios:
            for ex in load(name):
                req = ex["request"]
                self.answers.setdefault(key_of(req["method"], req["path"], req["query"]), []).append(
                    ex["response"]
                )
        self.recorded = {k: list(v) for k, v in self.answers.items()}
        self._bad_token = load("bad_token")[0]["response"]

    def unserved_hits(self) -> list[Key]:
        """Requests to a route the recordings show GlitchTip does not serve (no recorded answer a success)."""
        return [k for k in self.received if k in self.recorded and all(map(is_unserved, self.recorded[k]))]

    def _render(self, response: dict[str, Any]) -> Response:
        body = response["body"]
        # An empty recorded body (a 204) stays empty; a JSON body is re-encoded.
        text = (
            json.dumps(body)
            if "json" in str(response["content_type"]) and body not in (None, "")
            else (body or "")
        )
        text = text.replace(f"http://{HOST}", self.base).replace(HOST, self.base.split("//", 1)[-1])
        headers = {}
        if response.get("link"):
            headers["link"] = str(response["link"]).replace(f"http://{HOST}", self.base)
        return Response(
            text,
            status_code=int(response["status"]),
            headers=headers,
            media_type=str(response["content_type"]).split(";")[0] or None,
        )

    async def handle(self, request: Request) -> Response:
        key = key_of(request.method, request.url.path, request.query_params.multi_items())
        self.received.append(key)
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return self._render(self._bad_token)
        queue = self.answers.get(key)
        if not queue:
            self.unmatched.append(key)
            return Response('{"detail": "not recorded"}', status_code=404, media_type="application/json")
        response = queue.pop(0) if len(queue) > 1 else queue[0]
        return self._render(response)

    def app(self) -> Starlette:
        methods = ["GET", "POST", "PUT", "DELETE"]
        return Starlette(routes=[Route("/{path:path}", self.handle, methods=methods)])


@contextmanager
def replay_server(scenarios: list[str] | None = None) -> Iterator[Replay]:
    replay = Replay(scenarios if scenarios is not None else scenario_names())
    with serve_in_thread(replay.app()) as base:
        replay.base = base
        yield replay
