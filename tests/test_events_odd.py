"""Adversarial and odd payloads: what other platforms' SDKs, old SDKs and damaged pipelines really send.

Acceptance feeds real payloads from many platforms; these hand-written ones put every JSON type where a string
is expected, push sizes to extremes (1 MB values, 10,000 frames, 500 chained exceptions), and use the less
common corners of the protocol (exception groups, mechanism meta, legacy interfaces, template errors). For
each: `normalize_event` + `render_event` never raise, the budget holds, and the facts survive.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
import sentry_sdk

from odd_events import EVENT_KEYS, FRAME_KEYS, ODD_VALUES, data_block, odd_exc, odd_frame, render_all, text_of
from sdk_events import capture
from stacklens.events import normalize_event
from stacklens.render.event import render_event

# --- every JSON type where a string (or object) belongs ---


@pytest.mark.parametrize("odd", ODD_VALUES, ids=repr)
def test_odd_values_in_every_event_field(odd: Any) -> None:
    raw = {key: odd for key in EVENT_KEYS}
    raw["exception"] = {"values": [{**odd_exc("ValueError", "qty must be positive"), "mechanism": odd}]}
    raw["entries"] = [{"type": odd, "data": odd}, {"type": "breadcrumbs", "data": odd}]
    for text, _ in render_all(raw):
        assert "ValueError: qty must be positive" in data_block(text)


@pytest.mark.parametrize("odd", ODD_VALUES, ids=repr)
def test_odd_values_in_every_frame_field(odd: Any) -> None:
    broken = {key: odd for key in FRAME_KEYS}
    raw = {"exception": {"values": [odd_exc("KeyError", "'sku'", [broken, odd_frame(1), broken])]}}
    for text, _ in render_all(raw):
        assert "KeyError: 'sku'" in text
        assert "shop/step_1.py:11 in step_1" in text  # the good frame between two broken ones


@pytest.mark.parametrize("odd", ODD_VALUES, ids=repr)
def test_odd_values_inside_interfaces(odd: Any) -> None:
    raw = {
        "message": "checkout failed",
        "exception": {"values": [odd, {"type": odd, "value": "boom", "stacktrace": odd}, odd]},
        "threads": {"values": [odd, {"id": odd, "crashed": odd, "stacktrace": {"frames": [odd]}}]},
        "breadcrumbs": {"values": [odd, {"timestamp": odd, "message": odd, "data": odd, "level": odd}]},
        "tags": [odd, [odd, odd], {"key": odd, "value": odd}],
        "contexts": {"os": odd, "runtime": {"name": odd, "version": odd}, "trace": {"trace_id": odd}},
        "request": {"url": odd, "method": odd, "query_string": odd, "fragment": odd},
        "user": {"id": odd, "email": "ada@example.com"},
        "logentry": {"message": odd, "params": odd, "formatted": odd},
    }
    for text, _ in render_all(raw):
        assert "boom" in text and "ada@example.com" not in text


# --- exceptions: mechanism variants and exception groups ---


def _group_event() -> dict[str, Any]:
    """A real ExceptionGroup (two members) raised from a KeyError, through the real sentry-sdk."""

    def fail(error: Exception) -> None:
        raise error

    def scenario() -> None:
        members = []
        for error in (ValueError("qty must be positive"), TypeError("price is not a number")):
            try:
                fail(error)
            except Exception as e:
                members.append(e)
        try:
            raise KeyError("warehouse")
        except KeyError as cause:
            try:
                raise ExceptionGroup("checkout failed", members) from cause
            except ExceptionGroup:
                sentry_sdk.capture_exception()

    return capture(scenario)[0]


def test_exception_group_members_name_their_parent_not_a_false_root_cause() -> None:
    raw = _group_event()
    mechanisms = [v["mechanism"] for v in raw["exception"]["values"]]
    assert any(m.get("is_exception_group") for m in mechanisms)  # the SDK really sends a group
    text, trimmed = render_event(normalize_event(raw))
    data = data_block(text)
    assert data.startswith("ExceptionGroup: checkout failed")
    assert "[2] cause of [1]: KeyError: 'warehouse'" in data
    assert "exceptions[0] of [1]: ValueError: qty must be positive" in data
    assert "exceptions[1] of [1]: TypeError: price is not a number" in data
    assert "root cause" not in data and "caused by" not in data  # siblings are not a chain
    assert [e.role for e in trimmed.exceptions] == ["outermost", "caused by", "in group", "in group"]


def test_linear_chain_with_ids_keeps_caused_by_and_root_cause() -> None:
    """sentry-java sends `exception_id`/`parent_id` on a plain cause chain: still a chain."""
    chain = [
        odd_exc("SQLException", "connection refused", mechanism={"type": "chained", "exception_id": 2,
             "parent_id": 1, "source": "cause"}),
        odd_exc("DaoException", "load failed", mechanism={"type": "chained", "exception_id": 1, "parent_id": 0,
             "source": "cause"}),
        odd_exc("ApiException", "500", mechanism={"type": "UncaughtExceptionHandler", "handled": False,
             "exception_id": 0}),
    ]  # fmt: skip
    data = data_block(text_of({"exception": {"values": chain}}))
    assert "[2] caused by DaoException: load failed" in data
    assert "[3] root cause SQLException: connection refused" in data
    assert "unhandled (UncaughtExceptionHandler)" in data


@pytest.mark.parametrize(
    ("mechanism", "shown"),
    [
        ("generic", "mechanism generic"),  # old SDKs: the type as a bare string
        ({"type": "onerror", "handled": "false"}, "unhandled (onerror)"),
        ({"type": "logging", "handled": 1}, "handled (logging)"),
        ({"handled": False}, "unhandled"),
        ({"type": "excepthook"}, "mechanism excepthook"),
        ({"type": "x", "handled": "maybe"}, "mechanism x"),
        (
            {"type": "signalhandler", "handled": False, "meta": {
                "signal": {"number": 11, "name": "SIGSEGV", "code_name": "SEGV_MAPERR"},
                "mach_exception": {"exception": 1, "name": "EXC_BAD_ACCESS"}, "errno": {"number": 2}}},
            "unhandled (signalhandler, SIGSEGV SEGV_MAPERR, EXC_BAD_ACCESS, errno 2)",
        ),
        (  # the legacy spelling, top-level in the mechanism (raven-swift)
            {"type": "cocoa", "posix_signal": {"signal": 6, "name": "SIGABRT"},
             "mach_exception": {"exception": 10, "exception_name": "EXC_CRASH"}},
            "mechanism cocoa, SIGABRT, EXC_CRASH",
        ),
    ],
)  # fmt: skip
def test_mechanism_variants(mechanism: Any, shown: str) -> None:
    raw = {
        "exception": {"values": [odd_exc("NSRangeException", "index 3 beyond bounds", mechanism=mechanism)]}
    }
    assert shown in data_block(text_of(raw)).splitlines()[1]


def test_long_exception_value_is_said_once() -> None:
    value = "duplicate key value violates unique constraint " + "x" * 600
    data = data_block(text_of({"exception": {"values": [odd_exc("IntegrityError", value, [odd_frame(1)])]}}))
    assert data.count("duplicate key value") == 1 and "exception:" not in data


def test_module_prefix_only_when_it_is_a_module() -> None:
    php = odd_exc("Exception", "test exception", module="/srv/app/bin/raven:16")
    java = odd_exc("ApiException", "token expired", module="io.sentry.example")
    assert data_block(text_of({"exception": {"values": [php]}})).startswith("Exception: test exception")
    assert data_block(text_of({"exception": {"values": [java]}})).startswith(
        "io.sentry.example.ApiException:"
    )


# --- frames ---


def test_frame_oddities() -> None:
    frames = [
        {"instruction_addr": 4294967296},  # an integer address
        {"function": "objc_msgSend", "package": "/usr/lib/libobjc.A.dylib", "instruction_addr": "0x1a2b"},
        {"function": "Billing.charge", "module": "Shop.Billing", "package": "Shop, Version=1.0.0.0"},
        odd_frame(2, lineno="42", colno="7", in_app="true", pre_context=[1, None, {"x": 1}],
               post_context="not a list", vars=["positional", "password=hunter2-SECRET"]),
    ]  # fmt: skip
    data = data_block(
        text_of({"exception": {"values": [odd_exc("EXC_BAD_ACCESS", "crash", frames)]}}, frames="all")
    )
    assert "0x100000000 (native)" in data  # integers are shown as the hex address they are
    assert "objc_msgSend (libobjc.A.dylib) at 0x1a2b" in data  # no line: the address locates it
    assert "Billing.charge (Shop)" in data
    assert "shop/step_2.py:42:7 in step_2" in data
    # Non-text context lines are blank, not dropped: the crash line keeps its number.
    assert re.search(r"^  39 \| 1$", data, re.M) and re.search(r"^> 42 \|\s+run_step_2\(\)$", data, re.M)
    assert "[0] = positional" in data and "SECRET" not in data


@pytest.mark.parametrize("odd", ODD_VALUES, ids=repr)
def test_odd_frame_lists_and_rest_context(odd: Any) -> None:
    """`frames` and REST `context` that are not lists (found by mutating real payloads: both raised)."""
    rest_frame = {"function": "charge", "filename": "shop/pay.py", "lineNo": 7, "inApp": True, "context": odd}
    raw = {
        "exception": {"values": [
            {"type": "E", "value": "frames odd", "stacktrace": {"frames": odd}},
            {"type": "F", "value": "context odd", "stacktrace": {"frames": [rest_frame]}},
        ]},
        "stacktrace": {"frames": odd},
        "threads": {"values": [{"id": 1, "crashed": True, "stacktrace": {"frames": odd}}]},
    }  # fmt: skip
    for text, _ in render_all(raw):
        assert "E: frames odd" in text and "shop/pay.py:7 in charge" in text


def test_file_less_dotnet_frame_names_its_class() -> None:
    frame = {"function": "InvokeAsync", "module": "Shop.Middleware.ErrorMiddleware", "in_app": True,
             "package": "Shop.Web, Version=1.0.1.0, Culture=neutral"}  # fmt: skip
    data = data_block(text_of({"exception": {"values": [odd_exc("NullReferenceException", "x", [frame])]}}))
    assert "Shop.Middleware.ErrorMiddleware.InvokeAsync (Shop.Web)" in data


def test_more_context_lines_than_the_line_number_allows() -> None:
    frame = odd_frame(1, lineno=2, pre_context=["a = 1", "b = 2", "c = 3"], context_line="boom()")
    data = data_block(text_of({"exception": {"values": [odd_exc("E", "v", [frame])]}}))
    assert re.search(r"^  1 \| c = 3\n> 2 \| boom\(\)$", data, re.M) and " 0 |" not in data


def test_deeply_nested_and_huge_locals() -> None:
    nested: Any = "bottom"
    for _ in range(200):
        nested = {"level": nested, "token": "tok-SECRET"}
    frame = odd_frame(
        1, vars={"tree": nested, "items": list(range(100_000)), **{f"v{i}": i for i in range(50)}}
    )
    text, trimmed = render_event(normalize_event({"exception": {"values": [odd_exc("E", "v", [frame])]}}))
    crash = trimmed.exceptions[0].frames[-1]
    assert len(crash.vars) == 10 and all(len(v) <= 80 for v in crash.vars.values())  # type: ignore[union-attr]
    assert "SECRET" not in text


@pytest.mark.parametrize(
    ("frame", "package"),
    [
        ({"function": "Ace.Raxx.Handler.init/1", "module": "Elixir.Ace.Raxx.Handler", "in_app": False}, "Ace"),
        ({"function": "UnityEngine.UI.Button.Press ()", "filename": "", "module": "", "in_app": False},
         "UnityEngine"),
        ({"function": "std::panicking::try", "package": "std", "instruction_addr": "0x1", "in_app": False},
         "std"),
    ],
)  # fmt: skip
def test_collapsed_runs_name_a_package_from_what_the_platform_sends(
    frame: dict[str, Any], package: str
) -> None:
    frames = [frame, frame | {"lineno": 2}, odd_frame(1)]
    data = data_block(text_of({"exception": {"values": [odd_exc("E", "v", frames)]}}))
    assert f"… 2 frames in {package}" in data


# --- no exception: threads, top-level stacktrace, messages ---


def test_threads_crashed_flag_as_string_wins_over_current() -> None:
    raw = {
        "message": "app crashed",
        "threads": {"values": [
            {"id": 1, "name": "main", "current": True, "stacktrace": {"frames": [odd_frame(1, function="idle")]}},
            {"id": 2, "name": "worker", "crashed": "true", "stacktrace": {"frames": [odd_frame(2, function="boom")]}},
            {"id": 3, "crashed": False},
        ]},
    }  # fmt: skip
    data = data_block(text_of(raw))
    assert "thread worker (crashed)" in data and "in boom" in data and "idle" not in data


def test_only_a_current_thread() -> None:
    raw = {"threads": [{"id": 7, "current": True, "stacktrace": {"frames": [odd_frame(1, function="poll")]}}]}
    assert "thread id 7 (current) (most recent call last):" in data_block(text_of(raw))


def test_legacy_interfaces_and_template_errors() -> None:
    raw = {
        "sentry.interfaces.Message": {"message": "render of %s failed", "params": ["cart.html"]},
        "sentry.interfaces.Stacktrace": {"frames": [odd_frame(1, function="render")]},
        "sentry.interfaces.Template": {"filename": "shop/cart.html", "lineno": 14,
                                       "context_line": "  {{ cart.total|money }}\n"},
        "sentry.interfaces.Http": {"url": "https://shop.test/cart?session=sess-SECRET", "method": "GET"},
        "sentry.interfaces.User": {"id": 5, "email": "ada@example.com"},
    }  # fmt: skip
    text = text_of(raw)
    data = data_block(text)
    assert data.startswith("render of cart.html failed")
    assert "template: shop/cart.html:14 in" not in data  # a template has no function
    assert "template: shop/cart.html:14: {{ cart.total|money }}" in data
    assert "shop/step_1.py:11 in render" in data and "user: id 5" in data
    assert "SECRET" not in text and "ada@example.com" not in text


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"logentry": {"message": "order %s of %d", "params": ["A-1", 3]}}, "order A-1 of 3"),
        ({"logentry": {"message": "order %(id)s", "params": {"id": "A-1"}}}, "order A-1"),
        ({"logentry": {"message": "order %s", "params": ["A-1"], "formatted": "order A-1!"}}, "order A-1!"),
        ({"logentry": {"message": "bad %d", "params": ["x"]}}, "bad %d"),  # mismatch: the template
        ({"logentry": {"message": "%c", "params": [2**40]}}, "%c"),  # OverflowError
        ({"logentry": {"message": "pad %999999999s", "params": ["x"]}}, "pad %999999999s"),  # no 1 GB string
        ({"logentry": {"message": "pad %.99999999f", "params": [1.0]}}, "pad %.99999999f"),
        ({"message": {"formatted": "from a dict"}}, "from a dict"),
        ({"message": {"message": "tpl %s", "params": ["x"]}}, "tpl x"),
        ({"entries": [{"type": "message", "data": {"formatted": "rest"}}]}, "rest"),
        ({"message": "!!!"}, "!!!"),  # all punctuation is still the message
    ],
)
def test_messages(raw: dict[str, Any], message: str) -> None:
    start = time.perf_counter()
    assert data_block(text_of(raw)).splitlines()[0] == message
    assert (
        time.perf_counter() - start < 10
    )  # a guard against a blow-up (it takes milliseconds), not a timing goal: bench/ has those


# --- breadcrumbs and times ---


def test_breadcrumbs_with_data_that_is_not_an_object() -> None:
    raw = {
        "message": "m",
        "breadcrumbs": [
            {"message": "plain", "data": "GET /cart took 3s"},
            {"message": "listed", "data": ["a", "b"]},
            {"category": "auth", "data": "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.SECRET"},
            {"message": "numbered", "data": 5},
        ],
    }
    text = text_of(raw)
    assert "plain GET /cart took 3s" in text and "listed [a, b]" in text and "numbered 5" in text
    assert "SECRET" not in text


@pytest.mark.parametrize(
    ("stamp", "shown"),
    [
        ("2024-01-01T12:00:00+02:00", "2024-01-01 10:00:00Z"),  # an offset is converted, not relabelled
        ("2024-01-01T12:00:00.123456-05:30", "2024-01-01 17:30:00Z"),
        ("2024-01-01 10:00:00", "2024-01-01 10:00:00Z"),
        ("1704103200.5", "2024-01-01 10:00:00Z"),  # epoch seconds as a string
        (1704103200, "2024-01-01 10:00:00Z"),
        (1704103200123, "2024-01-01 10:00:00Z"),  # milliseconds
        ("Mon, 01 Jan 2024 12:00:00 +0200", "2024-01-01 10:00:00Z"),  # an HTTP date
        ("2024-01-01T10:00:00.123456789Z", "2024-01-01 10:00:00Z"),  # nanoseconds (relay, Go)
    ],
)
def test_timestamps(stamp: Any, shown: str) -> None:
    raw = {"message": "m", "timestamp": stamp, "breadcrumbs": [{"timestamp": stamp, "message": "crumb"}]}
    data = data_block(text_of(raw))
    assert shown in data and "-0s crumb" in data  # the crumb read at the same instant as the event


@pytest.mark.parametrize("stamp", ["garbage", "", -5, 0, float("inf"), [], {"t": 1}, True])
def test_bad_timestamps_are_unknown_not_1970(stamp: Any) -> None:
    raw = {"message": "m", "timestamp": stamp, "breadcrumbs": [{"timestamp": stamp, "message": "crumb"}]}
    data = data_block(text_of(raw))
    assert "1970" not in data and "--:--:-- crumb" in data


def test_a_damaged_time_falls_through_to_the_next_field() -> None:
    ev = normalize_event({"dateCreated": "not a date", "timestamp": 1704103200})
    assert ev.time is not None and ev.time.year == 2024


# --- context: tags, request, user, contexts ---


def test_tags_in_every_spelling_with_null_keys_and_pii() -> None:
    raw = {
        "message": "m",
        "tags": [
            ["feature", "checkout"], {"key": "region", "value": "eu-1"}, {"key": None, "value": "nullkey"},
            [None, "nullkey2"], "junk", [1, 2], ["user.email", "ada@example.com"], ["ip", "203.0.113.9"],
            ["sentry:user", "email:ada@example.com"], {"key": "api_key", "value": "sk-SECRET"},
        ],
    }  # fmt: skip
    text = text_of(raw)
    assert "feature=checkout" in text and "region=eu-1" in text and "1=2" in text
    assert "nullkey" not in text and "ada@example.com" not in text and "203.0.113.9" not in text
    assert "SECRET" not in text


@pytest.mark.parametrize(
    ("request_", "shown"),
    [
        ({"method": "GET", "url": "https://shop.test/cart", "query_string": "a=1&token=tok-SECRET"},
         "GET https://shop.test/cart?a=1&token=[redacted]"),
        ({"method": "GET", "url": "https://shop.test/cart", "query_string": "?api%5Fkey=k-SECRET&p=2"},
         "GET https://shop.test/cart?api%5Fkey=[redacted]&p=2"),  # an encoded secret name
        ({"method": "POST", "url": "https://shop.test/cart",
          "query_string": [["q", "red shoes"], ["token", "a&b=c-SECRET"], [None, "x"], ["solo"]]},
         "POST https://shop.test/cart?q=red%20shoes&token=[redacted]"),  # `&` in a value can't split it
        ({"url": "https://shop.test/cart", "query_string": {"password": "pw-SECRET", "page": 2}},
         "https://shop.test/cart?password=[redacted]&page=2"),
        ({"url": "https://ada:pw-SECRET@shop.test/cart"}, "https://[redacted]@shop.test/cart"),
        ({"url": "https://ada@example.com:p@ss-SECRET@shop.test/x"}, "https://[redacted]@shop.test/x"),
        ({"url": "https://shop.test/cb#access_token=at-SECRET&state=1"},
         "https://shop.test/cb#access_token=[redacted]&state=1"),
        ({"url": "https://shop.test/x", "fragment": "id_token=it-SECRET"},
         "https://shop.test/x#id_token=[redacted]"),
    ],
)  # fmt: skip
def test_request_query_strings_and_userinfo(request_: dict[str, Any], shown: str) -> None:
    request_ = {**request_, "headers": {"Authorization": "Bearer h-SECRET"}, "cookies": "sid=c-SECRET",
                "data": {"card": "4111111111111111"}}  # fmt: skip
    text = text_of({"message": "m", "request": request_})
    assert f"request: {shown}" in text
    assert "SECRET" not in text and "4111" not in text


def test_user_with_email_and_ip_only_shows_no_user() -> None:
    raw = {
        "message": "m",
        "user": {"email": "ada@example.com", "ip_address": "203.0.113.9", "username": "ada"},
    }
    text = text_of(raw)
    assert "user" not in data_block(text) and "ada" not in text and "203.0.113.9" not in text


def test_contexts_in_odd_shapes() -> None:
    raw = {
        "message": "m",
        "contexts": {
            "os": "Linux", "runtime": ["CPython"], "browser": {"name": "Firefox", "version": 128},
            "device": {"family": "Pixel", "model": None}, "trace": {"trace_id": 1234},
            "client_os": {"type": "os", "name": "Windows"}, "app": {"app_name": "shop"}, "x": None,
        },
    }  # fmt: skip
    data = data_block(text_of(raw))
    assert "browser: Firefox 128" in data and "device: Pixel" in data and "client_os: Windows" in data
    assert "trace: 1234" in data
