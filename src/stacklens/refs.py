"""Issue references: numeric id, short id (`SHOP-1A2B`) or permalink URL → a validated, path-safe IssueRef.

Only the id is taken from a URL; its host is never contacted.
"""

from __future__ import annotations

import re
from typing import Literal
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel, ConfigDict

from stacklens.errors import InvalidInput

NUMERIC_ID = re.compile(r"[0-9]{1,20}")
SHORT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}-[A-Za-z0-9]{1,16}")
SLUG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")
TAG_KEY = re.compile(r"[A-Za-z0-9_.:-]{1,200}")
EVENT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_ISSUE_IN_PATH = re.compile(r"/issues/([^/?#]+)/?")

EXAMPLES = "a numeric id (4504), a short id (SHOP-1A2B) or an issue URL (https://acme.sentry.io/issues/4504/)"


class IssueRef(BaseModel):
    """A parsed issue reference. `value` is safe to put in a URL path as is."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["id", "short_id"]
    value: str

    def __str__(self) -> str:
        return self.value


def _from_url(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(f"not an issue reference: {_show(text)}; use {EXAMPLES}")
    match = _ISSUE_IN_PATH.search(parts.path)
    if not match:
        raise InvalidInput(f"this URL has no /issues/<id>/ in its path: {_show(text)}; use {EXAMPLES}")
    return unquote(match.group(1))


def _show(text: str) -> str:
    shown = text if len(text) <= 80 else text[:77] + "..."
    return repr(shown)


def parse_issue_ref(raw: object, backend: str = "sentry") -> IssueRef:
    """Parse what a user or model passed as `issue`. Raises InvalidInput (nothing sent) when it is not one."""
    if isinstance(raw, bool) or raw is None:
        raise InvalidInput(f"issue is required: {EXAMPLES}")
    text = str(raw).strip() if isinstance(raw, int | str) else None
    if not text:
        raise InvalidInput(f"issue is required: {EXAMPLES}")
    if len(text) > 2048:
        raise InvalidInput(f"issue reference too long; use {EXAMPLES}")
    if "://" in text:
        text = _from_url(text)
    if NUMERIC_ID.fullmatch(text):
        return IssueRef(kind="id", value=text)
    if backend == "jentry":
        raise InvalidInput(
            f"a Jentry issue id is numeric (42) or a URL like https://jentry.app/projects/1/issues/42; got {_show(text)}"
        )
    if SHORT_ID.fullmatch(text):
        return IssueRef(kind="short_id", value=text.upper())
    raise InvalidInput(f"not an issue reference: {_show(text)}; use {EXAMPLES}")


def parse_issue_refs(raw: object, backend: str = "sentry", limit: int = 100) -> list[IssueRef]:
    """One reference or a list of them (deduplicated, order kept)."""
    items = raw if isinstance(raw, list | tuple) else [raw]
    if not items:
        raise InvalidInput(f"issue is required: {EXAMPLES}")
    if len(items) > limit:
        raise InvalidInput(f"at most {limit} issues per call; got {len(items)}")
    refs: list[IssueRef] = []
    for item in items:
        ref = parse_issue_ref(item, backend)
        if ref not in refs:
            refs.append(ref)
    return refs


def check_slug(value: str, what: str = "project") -> str:
    """A slug or name usable as a path segment: `[A-Za-z0-9_.-]`, never `.` or `..`."""
    text = value.strip(" ")
    if not SLUG.fullmatch(text) or text in (".", ".."):
        raise InvalidInput(
            f"invalid {what} {_show(value)}: use its slug (letters, digits, '_', '.', '-') or numeric id"
        )
    return text


def check_project(value: str | int) -> str:
    """A project as a user names it: numeric id, slug, or display name ("Checkout Service").

    Backends resolve it through the projects list and put only the upstream's own id/slug in a path, so a
    name may hold spaces; still, nothing path- or query-like (`/ \\ ? # %`, `.`, `..`) nor a control
    character is taken: refused before any request.
    """
    text = str(value).strip()
    if (
        not text
        or len(text) > 200
        or text in (".", "..")
        or any(c in "/\\?#%" or not c.isprintable() for c in text)
    ):
        raise InvalidInput(
            f"invalid project {_show(str(value))}: use its slug, numeric id or name (printable, ≤200 characters)"
        )
    return text


def check_tag_key(value: str) -> str:
    text = value.strip(" ")
    if not TAG_KEY.fullmatch(text) or text in (".", ".."):
        raise InvalidInput(
            f"invalid tag key {_show(value)}: letters, digits and _ . : - only (e.g. browser, url)"
        )
    return text


def check_event_id(value: str) -> str:
    text = value.strip(" ")
    if text.lower() in ("latest", "oldest", "recommended"):
        return text.lower()
    if not EVENT_ID.fullmatch(text):
        raise InvalidInput(f"invalid event_id {_show(value)}: a hex event id, or latest, oldest, recommended")
    return text
