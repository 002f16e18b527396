"""Sentry search syntax typed into the free-text `query` (`is:unresolved level:error browser:Chrome`).

Models copy Sentry's syntax from its UI into `query`; searched as one literal phrase it matches nothing and
the answer "No issues match" is believed. The tokens are recognised here (only keys Sentry's issue search
knows, so "TypeError: x" or a URL stays text): Sentry sends them as tokens, other backends answer with the
parameters to use instead.
"""

from __future__ import annotations

import re

# `key:value`, `!key:value`, `tags[key]:value`; a value quoted, a [list] or a bare word.
_TOKEN = re.compile(
    r'(?<!\S)(!?(?:tags\[[^\]\s]+\]|[A-Za-z][\w.-]*)):("(?:[^"\\]|\\.)*"|\[[^\]]*\]|[^\s"\[]+)(?!\S)'
)
# Keys of Sentry's issue search and the tags its SDKs set: what `key:` in free text most likely means.
SEARCH_KEYS = frozenset(
    {"is", "has", "level", "release", "environment", "assigned", "assigned_or_suggested", "bookmarks",
     "subscribed", "age", "firstseen", "lastseen", "timesseen", "firstrelease", "first-release", "issue",
     "issue.id", "issue.category", "issue.type", "issue.priority", "regressed_in_release", "browser",
     "browser.name", "os", "os.name", "device", "device.family", "runtime", "runtime.name", "url", "user",
     "user.id", "user.email", "user.username", "transaction", "server_name", "logger", "handled",
     "mechanism", "error.type", "error.value", "error.handled", "error.unhandled", "error.mechanism",
     "platform", "dist", "sdk.name", "message", "title", "culprit", "http.method", "http.url"}
)  # fmt: skip


def _key(token_key: str) -> str:
    key = token_key.lstrip("!")
    return key[5:-1] if key.startswith("tags[") else key


def split_syntax(text: str) -> tuple[str, tuple[str, ...]]:
    """Free text → (the text without Sentry tokens, the tokens as typed). Unknown keys stay text."""
    tokens: list[str] = []

    def take(match: re.Match[str]) -> str:
        key = match.group(1)
        if key.startswith(("tags[", "!tags[")) or _key(key).lower() in SEARCH_KEYS:
            tokens.append(match.group(0))
            return " "
        return match.group(0)

    rest = _TOKEN.sub(take, text)
    return " ".join(rest.split()), tuple(tokens)


def _unquote(value: str) -> str:
    return value[1:-1].replace('\\"', '"') if value.startswith('"') and value.endswith('"') else value


def syntax_hint(tokens: tuple[str, ...]) -> str:
    """What to pass instead of each token, as search_issues parameters."""
    out: list[str] = []
    for token in tokens:
        match = _TOKEN.fullmatch(token)
        if match is None:  # pragma: no cover - tokens come from split_syntax
            continue
        key, value = _key(match.group(1)).lower(), _unquote(match.group(2))
        negated = match.group(1).startswith("!")
        if key == "is" and value.lower() in ("unresolved", "resolved", "ignored", "archived"):
            out.append(f"status={('ignored' if value.lower() == 'archived' else value.lower())!r}")
        elif key == "is" and value.lower() == "unassigned":
            out.append("assigned='none'")
        elif key == "level" and not negated:
            out.append(f"level={value.strip('[]')!r}")
        elif key in ("release", "environment", "assigned") and not negated:
            out.append(f"{'environment' if key == 'environment' else key}={value!r}")
        elif key in ("firstseen", "age"):
            out.append(f"first_seen={value.lstrip('-<>=')!r}")
        elif key == "lastseen":
            out.append(f"last_seen={value.lstrip('-<>=')!r}")
        elif key == "timesseen":
            out.append(f"min_events={value.lstrip('<>=')}")
        else:
            out.append(f"tags={{{('!' if negated else '') + key!r}: {value!r}}}")
    return ", ".join(out)


__all__ = ["SEARCH_KEYS", "split_syntax", "syntax_hint"]
