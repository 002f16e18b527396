"""Run code under the REAL sentry-sdk and keep the event payloads it would have sent.

A custom transport collects the envelopes in memory: nothing is sent anywhere (the DSN points at an
`.invalid` host that no transport ever contacts). sentry-sdk is a dev dependency, so it is imported lazily.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Literal

Level = Literal["fatal", "critical", "error", "warning", "info", "debug"]  # what Scope.set_level takes
_DSN = "https://0123456789abcdef0123456789abcdef@sandbox.stacklens.invalid/1"


def _collector(sink: list[dict[str, Any]]) -> Any:
    from sentry_sdk.transport import Transport

    class Collect(Transport):
        """Keeps every error/message event; drops sessions, transactions and client reports."""

        def capture_envelope(self, envelope: Any) -> None:
            for item in envelope.items:
                if item.type == "event" and item.payload.json is not None:
                    sink.append(item.payload.json)

        def flush(self, timeout: float, callback: Any = None) -> None:
            return None

        def kill(self) -> None:
            return None

    return Collect


@contextmanager
def _sdk(sink: list[dict[str, Any]], init_kwargs: dict[str, Any]) -> Iterator[Any]:
    import sentry_sdk

    previous = sentry_sdk.get_client()
    options: dict[str, Any] = {
        "dsn": _DSN,
        "default_integrations": True,
        "auto_session_tracking": False,
        "traces_sample_rate": None,
        "include_local_variables": True,
        "max_breadcrumbs": 100,
    }
    options.update(init_kwargs)
    options["transport"] = _collector(sink)
    sentry_sdk.init(**options)
    try:
        # A fresh isolation scope per call: tags, user and breadcrumbs never leak between captures.
        with sentry_sdk.isolation_scope() as scope:
            scope.clear()
            yield scope
    finally:
        sentry_sdk.flush()
        sentry_sdk.get_client().close()
        sentry_sdk.get_global_scope().set_client(previous if previous.is_active() else None)


def capture_events(fn: Callable[[], None], **init_kwargs: Any) -> list[dict[str, Any]]:
    """Initialise sentry-sdk (real, custom transport), run `fn`, return the event payloads it captured.

    Exceptions escaping `fn` are reported the way the SDK's excepthook reports a crash (unhandled); events
    sent by `fn` itself (`capture_exception`, `capture_message`, logged errors) are kept as they are.
    """
    events: list[dict[str, Any]] = []
    with _sdk(events, init_kwargs):
        try:
            fn()
        except Exception as exc:
            _capture_unhandled(exc)
    return events


def _capture_unhandled(exc: BaseException) -> None:
    import sentry_sdk
    from sentry_sdk.utils import event_from_exception

    client = sentry_sdk.get_client()
    event, hint = event_from_exception(
        exc, client_options=client.options, mechanism={"type": "excepthook", "handled": False}
    )
    event["level"] = "error"
    sentry_sdk.capture_event(event, hint=hint)


def capture_exception_event(
    exc_fn: Callable[[], None],
    *,
    tags: dict[str, str] | None = None,
    user: dict[str, Any] | None = None,
    request: dict[str, Any] | None = None,
    contexts: dict[str, dict[str, Any]] | None = None,
    level: Level | None = None,
    handled: bool = True,
    **init_kwargs: Any,
) -> dict[str, Any]:
    """One event for the exception `exc_fn` raises, with scope data applied as an app would set it."""

    def run() -> None:
        import sentry_sdk

        scope = sentry_sdk.get_isolation_scope()
        for key, value in (tags or {}).items():
            scope.set_tag(key, value)
        if user is not None:
            scope.set_user(user)
        for name, ctx in (contexts or {}).items():
            scope.set_context(name, ctx)
        if level:
            scope.set_level(level)
        if request is not None:
            scope.add_event_processor(lambda event, hint: {**event, "request": request})
        try:
            exc_fn()
        except Exception as exc:
            if not handled:
                raise
            sentry_sdk.capture_exception(exc)
        else:
            raise AssertionError("exc_fn did not raise")

    events = capture_events(run, **init_kwargs)
    if len(events) != 1:
        raise RuntimeError(f"expected one event, the SDK produced {len(events)}")
    return events[0]
