"""Bugsink (bugsink.com, self-hosted): its canonical REST API under `/api/canonical/0`.

- `descriptor`: who it is and what it can do (the registry reads it)
- `client`: requests, cursor paging, projects, issue paths and 404 wording
- `mapping`: Bugsink JSON → the normalized models
- `search`: IssueFilter → Bugsink's `state`/`q`/`sort` plus client-side narrowing
- `events`, `writes`, `releases`: the rest of the Backend protocol
- `backend`: `BugsinkBackend`, the Backend protocol composed from those
"""
