"""Issue references: numeric id, short id (`SHOP-1A2B`) or permalink URL → a validated, path-safe IssueRef.

Only the id is taken from a URL; its host is never contacted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
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
UUID = re.compile(r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}")

EXAMPLES = "a numeric id (4504), a short id (SHOP-1A2B) or an issue URL (https://acme.sentry.io/issues/4504/)"


@dataclass(frozen=True)
class RefSyntax:
    """How one tracker names its issues: each backend declares its own (descriptor.refs)."""

    short_ids: bool = True  # SHOP-1A2B
    uuids: bool = False
    examples: str = EXAMPLES  # for error messages
    wrong_form: str | None = None  # the message for a reference of another tracker's form
    forms: str = "Issue id, short id (SHOP-1A2B) or URL"  # for tool descriptions
    example: str = "SHOP-1A2B"  # one issue in tool examples
    example_pair: tuple[str, str] = ("SHOP-1A", "SHOP-1B")
    url_path: re.Pattern[str] = field(default=_ISSUE_IN_PATH)


STANDARD = RefSyntax()


class IssueRef(BaseModel):
    """A parsed issue reference. `value` is safe to put in a URL path as is."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["id", "short_id", "uuid"]
    value: str

    def __str__(self) -> str:
        return self.value


def _from_url(text: str, syntax: RefSyntax) -> str:
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:  # an unbalanced IPv6 bracket (`https://[::1/issues/1/`) and the like
        host = None
    if host is None or parts.scheme not in ("http", "https"):
        raise InvalidInput(f"not an issue reference: {_show(text)}; use {syntax.examples}")
    match = syntax.url_path.search(parts.path)
    if not match:
        raise InvalidInput(f"this URL has no issue id in its path: {_show(text)}; use {syntax.examples}")
    return unquote(match.group(1))


def _show(text: str) -> str:
    shown = text if len(text) <= 80 else text[:77] + "..."
    return repr(shown)


def _syntax(syntax: RefSyntax | str) -> RefSyntax:
    """A backend's syntax, or a backend named in the registry (for scripts and tests)."""
    if isinstance(syntax, RefSyntax):
        return syntax
    from stacklens.backends import descriptor

    return descriptor(syntax).refs


def parse_issue_ref(raw: object, syntax: RefSyntax | str = STANDARD) -> IssueRef:
    """Parse what a user or model passed as `issue`. Raises InvalidInput (nothing sent) when it is not one."""
    syntax = _syntax(syntax)
    if isinstance(raw, bool) or raw is None:
        raise InvalidInput(f"issue is required: {syntax.examples}")
    text = str(raw).strip() if isinstance(raw, int | str) else None
    if not text:
        raise InvalidInput(f"issue is required: {syntax.examples}")
    if len(text) > 2048:
        raise InvalidInput(f"issue reference too long; use {syntax.examples}")
    if "://" in text:
        text = _from_url(text, syntax)
    if text.startswith("#") and NUMERIC_ID.fullmatch(text[1:]):  # `#101`: how some trackers display ids
        text = text[1:]
    if NUMERIC_ID.fullmatch(text):
        return IssueRef(kind="id", value=text)
    if syntax.uuids and UUID.fullmatch(text):
        return IssueRef(kind="uuid", value=text.lower())
    if syntax.short_ids and SHORT_ID.fullmatch(text):
        return IssueRef(kind="short_id", value=text.upper())
    if syntax.wrong_form:
        raise InvalidInput(f"{syntax.wrong_form}; got {_show(text)}")
    raise InvalidInput(f"not an issue reference: {_show(text)}; use {syntax.examples}")


def split_issue_list(raw: object) -> list[object]:
    """`issue` as a list, a comma-separated string ("SHOP-1C, SHOP-1B") or one reference."""
    if isinstance(raw, list | tuple):
        return list(raw)
    if isinstance(raw, str) and "," in raw and "://" not in raw:
        return [part for part in (p.strip() for p in raw.split(",")) if part]
    return [raw]


def parse_issue_refs(raw: object, syntax: RefSyntax | str = STANDARD, limit: int = 100) -> list[IssueRef]:
    """One reference or a list of them (deduplicated, order kept)."""
    syntax = _syntax(syntax)
    items = split_issue_list(raw)
    if not items:
        raise InvalidInput(f"issue is required: {syntax.examples}")
    if len(items) > limit:
        raise InvalidInput(f"at most {limit} issues per call; got {len(items)}")
    refs: list[IssueRef] = []
    for item in items:
        ref = parse_issue_ref(item, syntax)
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
        raise InvalidInput(
            f"invalid event_id {_show(value)}: an event id from list_issue_events, or latest, oldest, recommended"
        )
    return text
