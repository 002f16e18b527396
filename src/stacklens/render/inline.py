"""Upstream strings shown inline in Markdown records: one line, inert, bounded.

Every string a tracker sends (titles, statuses, ids, slugs, versions, audit fields, tag values…) is data. It
is flattened to one line (newlines and other breaks become spaces), control, zero-width and bidi characters
are shown as `\\uXXXX`, and it is cut to a sane length; then either put in a code span it cannot close
(`code`) or backslash-escaped so that nothing in it reads as Markdown (`inert`): no heading, quote, list
item, table row, link, emphasis, HTML or code span of its own, wherever on the line it lands.
"""

from __future__ import annotations

import re

# C0/C1 controls (tab and newline are flattened before), line/paragraph separators, zero-width and bidi
# marks, embeddings, overrides and isolates, the BOM: invisible or reordering, so shown as escapes.
_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
# Markdown punctuation that means something inline or at a block start; `_` only where it can open or
# close emphasis (not inside a word: `in_progress` stays readable).
_MARKUP = re.compile(r"[\\`*\[\]<>|#~]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
_LIST_START = re.compile(r"^([-+=]|\d{1,9}(?=[.)]))")


def flat(text: str | None, limit: int = 160) -> str:
    """One line of untrusted text: breaks flattened, invisible characters escaped, cut at `limit`."""
    return _visible(_one_line(text, limit))


def _one_line(text: str | None, limit: int) -> str:
    if not text:
        return ""
    head = text[: limit * 4]  # a 10 MB field costs no more than its shown part
    out = " ".join(head.split())
    if len(out) <= limit and len(head) == len(text):
        return out
    return out[: limit - 1] + "…"


def _visible(text: str) -> str:
    return _INVISIBLE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


def code(text: str | None, limit: int = 160) -> str:
    """Inline code span that the text cannot close (backticks in it are swapped for ʼ)."""
    shown = flat(text, limit).replace("`", "ʼ")
    return f"`{shown}`" if shown else ""


def inert(text: str | None, limit: int = 160) -> str:
    """Plain inline text that Markdown reads as literal characters only."""
    shown = _MARKUP.sub(lambda m: "\\" + m.group(0), _one_line(text, limit))
    # A list marker or numbered item (`- x`, `1. x`) would nest a list where the value follows `- `.
    return _visible(_LIST_START.sub(_unlist, shown))


def _unlist(m: re.Match[str]) -> str:
    found = m.group(0)
    return found + "\\" if found[0].isdigit() else "\\" + found
