"""CR, LF and NUL are refused in every free-text parameter on every backend, before anything is sent."""

from __future__ import annotations

import pytest

from mcp_helpers import DEMO_BACKENDS, inproc, text_of

pytestmark = pytest.mark.anyio
ISSUE = {"sentry": "6120004400", "jentry": "101"}
CALLS = [
    ("get_latest_event", {"issue": "{issue}", "environment": "{bad}"}),
    ("list_issue_events", {"issue": "{issue}", "environment": "{bad}"}),
    ("list_issue_events", {"issue": "{issue}", "cursor": "{bad}"}),
    ("read_audit", {"action": "{bad}"}),
    ("read_audit", {"cursor": "{bad}"}),
    ("list_releases", {"query": "{bad}"}),
    ("list_releases", {"cursor": "{bad}"}),
    ("search_issues", {"cursor": "{bad}"}),
    ("search_issues", {"tags": {"browser": "{bad}"}}),
    ("search_issues", {"environment": ["production", "{bad}"]}),
]


@pytest.mark.parametrize("backend", DEMO_BACKENDS)
@pytest.mark.parametrize("bad", ["prod\r\nX-Evil: 1", "a\nb", "a\x00b"], ids=["crlf", "lf", "nul"])
async def test_refused_before_anything_is_sent(backend, bad, sandbox, sandbox_url):
    async with inproc(backend, sandbox_url) as client:
        for tool, template in CALLS:
            args = {
                k: (
                    ISSUE[backend] if v == "{issue}" else bad if v == "{bad}"
                    else [bad if x == "{bad}" else x for x in v] if isinstance(v, list)
                    else {kk: bad for kk in v} if isinstance(v, dict) else v
                )
                for k, v in template.items()
            }  # fmt: skip
            sandbox.requests.clear()
            result = await client.call_tool(tool, args)
            assert result.is_error, (tool, args, text_of(result))
            assert "control characters" in text_of(result), text_of(result)
            assert sandbox.requests == [], (tool, args)
