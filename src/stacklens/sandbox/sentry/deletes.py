"""Delete an Issue (`DELETE /organizations/{org}/issues/{id}/`): Sentry answers 202 and deletes it later; the
sandbox removes it (and its events) at once, so a second DELETE or a read afterwards is a 404."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from stacklens.sandbox.sentry.common import endpoint
from stacklens.sandbox.sentry.issues import issue_or_404
from stacklens.sandbox.state import Sandbox


@endpoint("event:admin")
async def issue_delete(request: Request, sb: Sandbox) -> Response:
    issue = issue_or_404(request, sb)
    sb.issues.pop(issue["id"], None)
    sb.drop_events(issue["id"])
    return Response(status_code=202)
