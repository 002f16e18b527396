"""Jentry releases without the requests: the POST body (checked before anything is sent) and the merge of
per-project release lists."""

from __future__ import annotations

import math
from datetime import datetime

from stacklens.backends.json import JsonObject
from stacklens.errors import InvalidInput
from stacklens.models import Release, ReleaseSpec


def release_body(spec: ReleaseSpec, version: str) -> JsonObject:
    """The release POST body; a blank sha or environment, or an unparsable time, is refused."""
    body: JsonObject = {"version": version}
    for key, value, is_time in (
        ("ref", spec.ref, False),
        ("url", spec.url, False),
        ("dateReleased", spec.date_released, True),
    ):
        if value:
            body[key] = _time_text(value, "date_released") if is_time else value
    if spec.commits:
        commits = []
        for c in spec.commits:
            if not c.sha.strip():
                raise InvalidInput("every commit needs a sha")
            item = {
                "sha": c.sha.strip(),
                "author": c.author,
                "authorEmail": c.author_email,
                "message": c.message,
                "url": c.url,
                "files": c.files,
            }
            commits.append({k: v for k, v in item.items() if v is not None})
        body["commits"] = commits
    if spec.deploys:
        deploys = []
        for d in spec.deploys:
            if not d.environment.strip():
                raise InvalidInput("every deploy needs an environment, e.g. production")
            item = {
                "environment": d.environment.strip(),
                "name": d.name,
                "url": d.url,
                "deployedAt": _time_text(d.deployed_at, "deployed_at") if d.deployed_at else None,
            }
            deploys.append({k: v for k, v in item.items() if v is not None})
        body["deploys"] = deploys
    return body


def merge_releases(lists: list[list[Release]]) -> list[Release]:
    """Each project's list keeps the API's newest-first order; lists interleave by first event."""
    if len(lists) == 1:
        return lists[0]
    heads = [0] * len(lists)
    out: list[Release] = []

    def key(r: Release) -> float:
        when = r.first_event or r.created or r.last_event
        return when.timestamp() if when else -math.inf

    while True:
        best = max(
            (n for n in range(len(lists)) if heads[n] < len(lists[n])),
            key=lambda n: key(lists[n][heads[n]]),
            default=None,
        )
        if best is None:
            return out
        out.append(lists[best][heads[best]])
        heads[best] += 1


def _time_text(value: str, name: str) -> str:
    """An ISO-8601 time as given, refused when it does not parse (before anything is sent)."""
    text = value.strip()
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"{name}={value!r} is not an ISO-8601 time, e.g. 2026-06-29T12:30:00Z") from None
    return text


def repost_notes(existed: bool | None, spec: ReleaseSpec) -> list[str]:
    """What a POST did to a version, said truthfully: Jentry replaces an existing version's commits and
    deploys with the ones sent (an empty list included), it does not add to them."""
    if existed is None:
        return ["could not check whether the version existed before (its releases list was refused)"]
    if not existed:
        return []
    return [
        f"the release already existed: its commits and deploys were replaced by the {len(spec.commits)} "
        f"commit(s) and {len(spec.deploys)} deploy(s) sent (Jentry replaces them on a re-post)"
    ]
