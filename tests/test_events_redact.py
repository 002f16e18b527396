"""stacklens.events.redact: secret-looking names, URLs and free text redacted; code kept readable."""

from __future__ import annotations

import pytest

from stacklens.events.redact import is_secret_name, redact_url, scrub_text


@pytest.mark.parametrize(
    "name",
    [
        "password",
        "PASSWD",
        "db_password",
        "secret",
        "client_secret",
        "token",
        "access_token",
        "api_key",
        "X-Api-Key",
        "apikey",
        "authorization",
        "Proxy-Authorization",
        "auth",
        "cookie",
        "Set-Cookie",
        "sessionid",
        "session",
        "csrftoken",
        "dsn",
        "SENTRY_DSN",
        "credit_card",
        "card_number",
        "cvv",
        "private_key",
        "'password'",
        "sentry_key",
        "key",
        "sig",
        "code",
    ],
)
def test_secret_names(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize(
    "name", ["author", "authors", "page", "user_id", "amount", "monkey", "order", "keyboard"]
)
def test_innocent_names(name: str) -> None:
    assert not is_secret_name(name)


def test_redact_url() -> None:
    assert redact_url("https://x.test/p?token=abc&page=2") == "https://x.test/p?token=[redacted]&page=2"
    assert redact_url("https://user:pw@x.test/") == "https://[redacted]@x.test/"
    assert (
        redact_url("https://x.test/cb#access_token=abc&state=1")
        == "https://x.test/cb#access_token=[redacted]&state=1"
    )
    assert redact_url("https://x.test/p?q=shoes#top") == "https://x.test/p?q=shoes#top"
    assert (
        redact_url("/relative?Signature=xyz&X-Amz-Credential=c")
        == "/relative?Signature=[redacted]&X-Amz-Credential=[redacted]"
    )


def test_scrub_text() -> None:
    assert scrub_text("Authorization: Bearer abc.DEF.123") == "Authorization: Bearer [redacted]"
    assert (
        scrub_text("author: bob, authorization: Basic dXNlcjpwYXNz")
        == "author: bob, authorization: [redacted]"
    )
    assert scrub_text("sent Bearer abc.DEF.123 upstream") == "sent Bearer [redacted] upstream"
    assert scrub_text("password=hunter2 user=bob") == "password=[redacted] user=bob"
    assert scrub_text("{'api_key': 'k-1', 'page': 2}") == "{'api_key': '[redacted]', 'page': 2}"
    assert scrub_text("card 4111 1111 1111 1111 declined") == "card [redacted] declined"
    assert scrub_text("order 1234567890123456 shipped") == "order 1234567890123456 shipped"  # fails Luhn
    assert scrub_text("Authentication failed, token expired!") == "Authentication failed, token expired!"
    assert (
        scrub_text("GET https://a.test/x?token=t0k&id=1 failed")
        == "GET https://a.test/x?token=[redacted]&id=1 failed"
    )


def test_scrub_text_on_source_code_keeps_the_code() -> None:
    line = 'token = request.headers["Authorization"]; url = f"https://a.test/x?key={api_key}"'
    assert scrub_text(line, code=True) == line
    assert scrub_text('requests.get("https://a.test/x?key=LITERAL123")', code=True) == (
        'requests.get("https://a.test/x?key=[redacted]")'
    )


def test_scrub_text_is_linear_on_long_input() -> None:
    import time

    text = "a" * 3000 + " token" * 200 + "x" * 5000
    start = time.perf_counter()
    scrub_text(text)
    assert (
        time.perf_counter() - start < 10
    )  # a guard against a blow-up (it takes milliseconds), not a timing goal
