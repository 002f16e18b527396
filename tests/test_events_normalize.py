"""stacklens.events.normalize (and .stacks): both upstream shapes (and their odd corners) into one `Event`.

Real payloads come from the real sentry-sdk (tests/sdk_events.py); the odd shapes real upstreams send
(threads only, address-only frames, nulls, `data.value`, legacy `sentry.interfaces.*` keys, tags in three
spellings, bare breadcrumb lists) are small hand-written payloads.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sdk_events import SECRETS, sdk_events, to_jentry_event, to_sentry_event
from stacklens.events import (
    REDACTED,
    Event,
    in_app_flags,
    normalize_event,
    package_of,
    summarize_event,
)

SHAPES = {"sdk": lambda e: e, "sentry": to_sentry_event, "jentry": to_jentry_event}


def _all(name: str) -> dict[str, Event]:
    raw = sdk_events()[name]
    return {shape: normalize_event(convert(raw)) for shape, convert in SHAPES.items()}


# --- real events, three shapes ---


def test_shape_detection_gives_the_same_event_from_all_three_shapes() -> None:
    for name in ("chained", "secrets", "request", "logged"):
        events = _all(name)
        sdk, sentry, jentry = events["sdk"], events["sentry"], events["jentry"]
        raw = sdk_events()[name]
        for ev in events.values():
            assert ev.id == raw["event_id"]
            assert ev.time is not None and ev.time.tzinfo is not None
            assert (ev.environment, ev.release, ev.platform, ev.user_id) == (
                "production",
                "shop@1.4.2",
                "python",
                "u-1042",
            )
            assert ev.tag("feature") == "checkout"
            assert ev.trace_id == raw["contexts"]["trace"]["trace_id"]
        assert sdk.title == sentry.title == jentry.title
        assert sdk.message == sentry.message == jentry.message
        # Sentry resolves unset in_app to False; everything else about the frames is identical.
        strip = [[f.model_dump(exclude={"in_app"}) for f in e.frames] for e in sdk.exceptions]
        assert strip == [[f.model_dump(exclude={"in_app"}) for f in e.frames] for e in sentry.exceptions]
        assert sdk.exceptions == jentry.exceptions


def test_chained_exceptions_keep_upstream_order_root_cause_first() -> None:
    ev = _all("chained")["sentry"]
    assert [e.type for e in ev.exceptions] == ["KeyError", "ConfigError", "RuntimeError"]
    assert ev.exceptions[-1].value == "startup failed: cannot reach the database"
    assert ev.exceptions[-1].mechanism == "excepthook" and ev.exceptions[-1].handled is False
    assert ev.title == "RuntimeError: startup failed: cannot reach the database"


def test_rest_context_pairs_become_pre_line_post() -> None:
    sdk, sentry = _all("secrets")["sdk"], _all("secrets")["sentry"]
    crash_sdk, crash_rest = sdk.exceptions[-1].frames[-1], sentry.exceptions[-1].frames[-1]
    assert crash_rest.context_line == crash_sdk.context_line
    assert "raise PermissionError" in (crash_rest.context_line or "")
    assert (
        crash_rest.pre_context == crash_sdk.pre_context and crash_rest.post_context == crash_sdk.post_context
    )


def test_secret_locals_are_redacted_in_the_model_itself() -> None:
    for ev in _all("secrets").values():
        local = ev.exceptions[-1].frames[-1].vars or {}
        for name in ("password", "api_key", "auth_token", "cookie", "session", "sentry_dsn", "credit_card"):
            assert local[name] == REDACTED, name
        assert local["amount_cents"] == "1999"
        assert REDACTED in local["headers"] and "application/json" in local["headers"]  # nested key
        assert SECRETS["credit_card"] not in local["card"]  # a card number under an innocent name
        caller = ev.exceptions[-1].frames[-2].vars or {}
        assert caller["order_note"] == "'paid with card [redacted]'"  # a card number in free text
        dumped = ev.model_dump_json()
        for secret in SECRETS.values():
            assert secret not in dumped


def test_request_keeps_method_and_url_only_with_secret_query_values_redacted() -> None:
    for ev in _all("request").values():
        assert ev.request is not None
        assert ev.request.method == "GET"
        assert ev.request.url == "https://shop.example.com/cart?token=[redacted]&page=2"
        dumped = ev.model_dump_json()
        for needle in ("SECRETJWT", "COOKIESECRET42", SECRETS["query_token"], "User-Agent", "203.0.113.9"):
            assert needle not in dumped


def test_user_is_an_id_only() -> None:
    for ev in _all("chained").values():
        dumped = ev.model_dump_json()
        assert ev.user_id == "u-1042"
        assert "ada@example.com" not in dumped and "203.0.113.9" not in dumped


def test_breadcrumb_urls_lose_their_tokens() -> None:
    for ev in _all("chained").values():
        http = [c for c in ev.breadcrumbs if c.category == "httplib"]
        assert http and http[0].data is not None
        assert "token=[redacted]" in http[0].data and SECRETS["query_token"] not in http[0].data


def test_logged_message_without_exception() -> None:
    for ev in _all("logged").values():
        assert not ev.exceptions
        assert ev.message == "payment declined for order A-1001 (attempt 3)"
        assert ev.title == ev.message
        assert ev.logger == "shop.payments" or ev.tag("logger") is None


def test_recursion_event_normalizes_all_frames() -> None:
    raw = sdk_events()["recursion"]
    assert len(json.dumps(raw)) > 500_000  # the ~600 KB event the budget is about
    ev = normalize_event(to_sentry_event(raw))
    assert len(ev.exceptions[-1].frames) > 900
    assert ev.exceptions[-1].type == "RecursionError"


def test_summarize_event() -> None:
    ev = _all("chained")["jentry"]
    s = summarize_event(ev)
    assert (s.id, s.release, s.environment, s.user_id) == (ev.id, "shop@1.4.2", "production", "u-1042")
    assert s.message == ev.title


# --- odd shapes, hand-written ---


def test_threads_only_event() -> None:
    raw = {
        "event_id": "abc",
        "threads": {
            "values": [
                {"id": 1, "name": "worker", "stacktrace": {"frames": [{"function": "idle"}]}},
                {"id": 2, "name": "main", "crashed": True, "stacktrace": {"frames": [{"function": "boom"}]}},
            ]
        },
    }
    ev = normalize_event(raw)
    assert [t.name for t in ev.threads] == ["worker", "main"]
    assert ev.threads[1].crashed is True and ev.threads[1].frames[0].function == "boom"


def test_native_frames_with_only_addresses() -> None:
    raw = {"exception": {"values": [{"type": "EXC_BAD_ACCESS", "stacktrace": {"frames": [
        {"instruction_addr": "0x1000a"}, {"instruction_addr": "0x1000b", "package": "/usr/lib/libc.so.6"},
    ]}}]}}  # fmt: skip
    frames = normalize_event(raw).exceptions[0].frames
    assert [f.instruction_addr for f in frames] == ["0x1000a", "0x1000b"]
    assert in_app_flags(frames) == [False, False]  # nothing says it is the app's own code
    assert package_of(frames[1]) == "libc.so.6"


def test_nulls_in_lists_are_skipped() -> None:
    raw = {
        "exception": {"values": [None, {"type": "ValueError", "value": "x", "stacktrace": {"frames": [
            None, {"function": "f", "lineno": 3, "pre_context": [None, "a"], "context_line": None},
        ]}}]},
        "breadcrumbs": {"values": [None, {"message": "hi"}]},
        "tags": [None, ["a", "1"], ["b"], {"key": None, "value": "x"}, {"key": "c", "value": None}],
        "contexts": {"os": None, "runtime": {"name": "CPython", "version": None}},
        "user": None,
        "request": None,
    }  # fmt: skip
    ev = normalize_event(raw)
    assert [e.type for e in ev.exceptions] == ["ValueError"]
    assert [f.function for f in ev.exceptions[0].frames] == ["f"]
    assert ev.exceptions[0].frames[0].pre_context == ["", "a"]
    assert [c.message for c in ev.breadcrumbs] == ["hi"]
    assert ev.tags == [("a", "1"), ("c", "")]
    assert ev.contexts == {"runtime": "CPython"}


def test_exception_values_list_of_only_null() -> None:
    ev = normalize_event({"exception": {"values": [None]}, "level": "error", "platform": "python"})
    assert ev.exceptions == [] and ev.level == "error"


def test_rest_entry_with_data_value_instead_of_values() -> None:
    exc = {"type": "TypeError", "value": "bad", "stacktrace": {"frames": [{"function": "g", "lineNo": 9}]}}
    for data in ({"value": [exc]}, {"value": exc}):
        ev = normalize_event({"eventID": "e1", "entries": [{"type": "exception", "data": data}]})
        assert [(e.type, e.frames[0].lineno) for e in ev.exceptions] == [("TypeError", 9)]


def test_entries_are_found_by_type_not_position() -> None:
    raw = {
        "eventID": "e2",
        "dateCreated": "2025-01-02T03:04:05Z",
        "entries": [
            None,
            {"type": "breadcrumbs", "data": {"values": [{"message": "first"}]}},
            {"type": "message", "data": {"formatted": "hello world"}},
            {
                "type": "request",
                "data": {"method": "POST", "url": "https://x.test/a", "query": [["api_key", "k"]]},
            },
        ],
    }
    ev = normalize_event(raw)
    assert ev.message == "hello world" and ev.title == "hello world"
    assert ev.request is not None and ev.request.url == "https://x.test/a?api_key=[redacted]"
    assert ev.time == datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_empty_stacktraces() -> None:
    ev = normalize_event(
        {"exception": {"values": [{"type": "E", "stacktrace": {"frames": []}}]}, "stacktrace": {}}
    )
    assert ev.exceptions[0].frames == [] and ev.stacktrace == []
    assert normalize_event({"stacktrace": {"frames": []}}).stacktrace == []


def test_legacy_interface_keys() -> None:
    raw = {
        "sentry.interfaces.Exception": [{"type": "ZeroDivisionError", "value": "divided by 0"}],
        "sentry.interfaces.Stacktrace": {"frames": [{"function": "main", "lineno": 4, "filename": "app.rb"}]},
        "sentry.interfaces.Message": {"message": "boom %s", "params": ["now"]},
        "sentry.interfaces.Http": {
            "method": "GET",
            "url": "http://u:p@h.test/x",
            "query_string": "password=a&b=2",
        },
        "sentry.interfaces.User": {"id": 7, "email": "x@y.z"},
        "sentry.interfaces.Breadcrumbs": {"values": [{"message": "m"}]},
    }
    ev = normalize_event(raw)
    assert ev.exceptions[0].type == "ZeroDivisionError"
    assert ev.stacktrace[0].function == "main"
    assert ev.message == "boom now"
    assert ev.request is not None and ev.request.url == "http://[redacted]@h.test/x?password=[redacted]&b=2"
    assert ev.user_id == "7"
    assert [c.message for c in ev.breadcrumbs] == ["m"]
    # A single legacy exception object, not a list.
    single = normalize_event(
        {"sentry.interfaces.Exception": {"type": "exit", "value": "** (exit) :badarith"}}
    )
    assert single.exceptions[0].value == "** (exit) :badarith"


@pytest.mark.parametrize(
    "tags",
    [
        {"browser": "Chrome", "sentry:user": "email:a@b.c"},
        [["browser", "Chrome"], ["sentry:user", "email:a@b.c"]],
        [
            {"key": "browser", "value": "Chrome"},
            {"key": None, "value": "x"},
            {"key": "user", "value": "ip:1.2.3.4"},
        ],
    ],
)
def test_tags_as_dict_pairs_or_key_value(tags: Any) -> None:
    ev = normalize_event({"tags": tags})
    assert ev.tags == [("browser", "Chrome")]  # user tags with emails/IPs are dropped
    assert ev.tag("browser") == "Chrome" and ev.tag("nope") is None


def test_user_id_from_sentry_user_tag() -> None:
    ev = normalize_event({"tags": [["sentry:user", "id:42"]]})
    assert ev.user_id == "42"


def test_breadcrumbs_as_a_bare_list() -> None:
    ev = normalize_event({"breadcrumbs": [{"timestamp": 1540472582, "message": "Frame number: 100"}, None]})
    assert [c.message for c in ev.breadcrumbs] == ["Frame number: 100"]
    assert ev.breadcrumbs[0].time == datetime.fromtimestamp(1540472582, tz=UTC)


def test_exception_without_frames_takes_its_threads_stack() -> None:
    raw = {
        "exception": {"values": [{"type": "SIGSEGV", "thread_id": 3}]},
        "threads": {
            "values": [{"id": 3, "crashed": True, "stacktrace": {"frames": [{"function": "crash"}]}}]
        },
    }
    assert [f.function for f in normalize_event(raw).exceptions[0].frames] == ["crash"]


def test_raw_stacktrace_when_no_symbolicated_one() -> None:
    raw = {
        "exception": {"values": [{"type": "E", "raw_stacktrace": {"frames": [{"instruction_addr": "0x1"}]}}]}
    }
    assert normalize_event(raw).exceptions[0].frames[0].instruction_addr == "0x1"


def test_release_object_or_string_and_epoch_timestamps() -> None:
    assert normalize_event({"release": {"version": "web@1.2"}}).release == "web@1.2"
    assert normalize_event({"tags": [{"key": "sentry:release", "value": "r9"}]}).release == "r9"
    ev = normalize_event({"timestamp": 1700000000.5, "release": "a@1"})
    assert ev.release == "a@1" and ev.time is not None and ev.time.year == 2023


def test_line_zero_means_unknown() -> None:
    raw = {"stacktrace": {"frames": [{"function": "SendMessage", "filename": "", "lineno": 0}]}}
    frame = normalize_event(raw).stacktrace[0]
    assert frame.lineno is None and frame.filename is None


def test_occurrence_evidence() -> None:
    raw = {
        "entries": [],
        "title": "N+1",
        "occurrence": {"evidenceDisplay": [{"name": "Repeated", "value": "3x"}]},
    }
    assert normalize_event(raw).evidence == [("Repeated", "3x")]


@pytest.mark.parametrize(
    "junk", [None, [], "text", 3, {"entries": "x", "exception": 5, "tags": 7, "user": []}]
)
def test_junk_never_raises(junk: Any) -> None:
    ev = normalize_event(junk)
    assert isinstance(ev, Event) and ev.exceptions == []


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=30,
)
_KEYS = [
    "exception",
    "entries",
    "threads",
    "stacktrace",
    "breadcrumbs",
    "tags",
    "request",
    "user",
    "contexts",
    "logentry",
    "message",
    "values",
    "value",
    "frames",
    "type",
    "data",
    "sentry.interfaces.Exception",
    "in_app",
    "lineno",
    "lineNo",
    "context",
    "vars",
    "timestamp",
    "release",
    "occurrence",
]
_shaped = st.recursive(
    _json,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(_KEYS), inner, max_size=5),
    max_leaves=40,
)


@settings(max_examples=150, deadline=None)
@given(_shaped)
def test_any_json_normalizes_and_renders_without_raising(raw: Any) -> None:
    from stacklens.render.event import render_event

    ev = normalize_event(raw)
    text, trimmed = render_event(ev)
    assert len(text.encode()) <= 8192 and trimmed.id == ev.id
