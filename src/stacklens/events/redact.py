"""Redaction: secret-looking names, values in free text and URL query/fragment parameters → `[redacted]`.

Applied while normalizing, so neither the rendered text nor the structured content built from an `Event`
can carry a secret the application put in a variable, a URL, a breadcrumb or a tag. Pure functions.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

REDACTED = "[redacted]"
TEXT_MAX = 4000  # free text kept per field (the renderer shows far less); also bounds the regex work

# --- secrets ---

# Matched against a name lowercased with everything but letters and digits removed ("X-Api-Key" → "xapikey").
# `auth` is a secret unless it starts "author" (but "authoriz…" is one again).
_SECRET_NAME = re.compile(
    r"passw|passwd|passphrase|pwd|secret|token|apikey|auth(?!or(?!i[sz]))|cookie|session|csrf|xsrf|dsn"
    r"|creditcard|cardnum|ccnum|cvv|cvc|privatekey|accesskey|signature|jwt|bearer|credential"
    r"|(?:sentry|signing|encryption|master|license)key"
)
# Short names that are secrets only on their own (`?key=…`, `?sig=…`, OAuth `?code=…`).
_SECRET_EXACT = frozenset({"key", "sig", "code", "otp", "pin", "pw", "pass", "pan", "ssn", "cc"})


def is_secret_name(name: object) -> bool:
    """Does a variable / header / query / tag name look like it holds a secret?"""
    flat = "".join(ch for ch in str(name).lower() if ch.isalnum())
    return flat in _SECRET_EXACT or bool(_SECRET_NAME.search(flat))


_URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]{1,20}://[^\s'\"<>`]+")
# Up to the authority's last `@`: an unencoded `@` in a password (`u:p@ss@host`) must not leave `ss` behind.
_USERINFO = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*://)[^/?#\s]*@")
_AUTH_SCHEME = re.compile(r"(?i)\b(bearer|basic|token|digest)(\s+)([A-Za-z0-9._~+/=-]{8,})")
# `name=value`, `name: value`, `'name': 'value'` where the name looks secret.
_SCHEME = r"(?:(?:bearer|basic|digest|token)\s+)?"  # `Authorization: Bearer x` → one redaction
_ASSIGNMENT = re.compile(
    r"(?i)(?<![\w.-])([\w.-]*(?:passw|passphrase|pwd|secret|token|api[_-]?key|auth(?!or(?!i[sz]))|cookie"
    r"|session|csrf|dsn|credit[_-]?card|card[_-]?num|cvv|private[_-]?key|access[_-]?key|signature)[\w.-]*)"
    r"(['\"]?\s*[=:]\s*['\"]?)(?!" + _SCHEME + r"\[redacted\])(" + _SCHEME + r"[^\s'\"&,;}\])]+)"
)
_CARD = re.compile(r"(?<![\d.])(?:\d[ -]?){12,18}\d(?![\d.])")


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return REDACTED if 13 <= len(digits) <= 19 and _luhn(digits) else match.group(0)


_TEMPLATE = re.compile(r"[{}\[\]()$%+]")  # `?token={api_token}` in source code is not a secret


def _credential(m: re.Match[str]) -> str:
    """`Bearer <credential>`: a credential has a digit or is long; "token expired" is English."""
    value = m.group(3)
    if any(ch.isdigit() for ch in value) or len(value) >= 20:
        return m.group(1) + m.group(2) + REDACTED
    return m.group(0)


def _redact_pairs(query: str, code: bool) -> str:
    parts = []
    for pair in query.split("&"):
        key, eq, value = pair.partition("=")
        # `api%5Fkey` is `api_key` once decoded
        secret = eq and value and is_secret_name(unquote(key)) and not (code and _TEMPLATE.search(value))
        parts.append(f"{key}={REDACTED}" if secret else pair)
    return "&".join(parts)


def redact_url(url: str, *, code: bool = False) -> str:
    """The URL with credentials in its user part and the values of secret-looking query/fragment keys
    replaced by `[redacted]`; everything else (path, other parameters) kept verbatim. `code`: the URL is
    from source code, where a templated value (`{token}`) is an expression, not a secret."""
    if not code or not _TEMPLATE.search(url.split("@", 1)[0]):
        url = _USERINFO.sub(lambda m: m.group(1) + REDACTED + "@", url, count=1)
    base, hash_, fragment = url.partition("#")
    path, q, query = base.partition("?")
    if q:
        query = _redact_pairs(query, code)
    if hash_ and "=" in fragment:  # OAuth implicit flow: #access_token=…
        fragment = _redact_pairs(fragment, code)
    return path + q + query + hash_ + fragment


def scrub_text(text: str, *, code: bool = False) -> str:
    """Free application text with the secrets we can recognise redacted: credentials and secret parameters
    in URLs, `Bearer …` tokens, card numbers, and `password=…`-style pairs. `code`: a source line, where
    `token = request.headers[…]` is code, not a secret, so only literal values in URLs, tokens and card
    numbers are redacted (the crash line must stay readable)."""
    if not text:
        return text
    text = text[:TEXT_MAX]
    if "://" in text:
        text = _URL.sub(lambda m: redact_url(m.group(0), code=code), text)
    text = _AUTH_SCHEME.sub(_credential, text)
    if not code and ("=" in text or ":" in text):
        text = _ASSIGNMENT.sub(lambda m: m.group(1) + m.group(2) + REDACTED, text)
    return _CARD.sub(_card, text)


def compact_repr(value: Any, limit: int = 200) -> str:
    """A short one-line rendering of a (JSON-ish) value, secret-named keys redacted at any depth, built
    piecewise so a huge value costs no more than `limit` characters of work."""
    out: list[str] = []
    size = 0

    def emit(text: str) -> bool:
        nonlocal size
        out.append(text)
        size += len(text)
        return size <= limit

    def walk(v: Any, depth: int) -> bool:
        if isinstance(v, str):
            return emit(v if len(v) <= limit else v[: limit + 1])
        if v is None or isinstance(v, bool | int | float):
            return emit("None" if v is None else str(v))
        if depth > 4:
            return emit("…")
        if isinstance(v, dict):
            if not emit("{"):
                return False
            for i, (k, item) in enumerate(v.items()):
                name = str(k)
                if (i and not emit(", ")) or not emit(f"{name}: "):
                    return False
                if is_secret_name(name.strip("'\"")):
                    if not emit(REDACTED):
                        return False
                elif not walk(item, depth + 1):
                    return False
            return emit("}")
        if isinstance(v, list | tuple):
            if not emit("["):
                return False
            for i, item in enumerate(v):
                if (i and not emit(", ")) or not walk(item, depth + 1):
                    return False
            return emit("]")
        return emit(str(v)[: limit + 1])

    complete = walk(value, 0)
    text = " ".join("".join(out).split())
    if not complete or len(text) > limit:
        text = text[: limit - 1] + "…"
    return text
