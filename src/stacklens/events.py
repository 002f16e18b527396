"""Event normalization (Sentry REST shape and SDK/Jentry shape) and trimming. PLACEHOLDER: being rewritten."""

from __future__ import annotations

from typing import Any

from stacklens.models import EventSummary, Model, Text, Time


class Event(Model):
    id: str = ""
    time: Time = None
    title: Text = None
    message: Text = None
    environment: Text = None
    release: Text = None
    platform: Text = None
    user_id: Text = None
    tags: list[tuple[str, str]] = []


def normalize_event(raw: dict[str, Any]) -> Event:
    return Event(id=str(raw.get("eventID") or raw.get("event_id") or raw.get("id") or ""))


def summarize_event(event: Event) -> EventSummary:
    return EventSummary(id=event.id, time=event.time, release=event.release, environment=event.environment,
                        user_id=event.user_id, message=event.message or event.title)
