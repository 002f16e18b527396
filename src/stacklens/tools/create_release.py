"""create_release: register a release with its commits and deploys (for CI)."""

from typing import Annotated

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import Field

from stacklens.backends.base import Backend
from stacklens.errors import InvalidInput
from stacklens.models import CommitSpec, DeploySpec, ReleaseCreated, ReleaseSpec
from stacklens.render import records
from stacklens.tools.base import ToolEnv, ToolSpec, call, result
from stacklens.tools.params import ProjectArg


def _commit(given: CommitSpec | str) -> CommitSpec:
    """A plain sha string (`commits=["a1b2c3d"]`) is a commit with only its sha."""
    return given if isinstance(given, CommitSpec) else CommitSpec(sha=given.strip())


def register(mcp: MCPServer, env: ToolEnv) -> None:
    replaces = env.caps.release_repost_replaces  # a repeat then replaces what the first call recorded

    @mcp.tool(
        title="Create release",
        annotations=ToolAnnotations(
            read_only_hint=False, destructive_hint=replaces, idempotent_hint=replaces, open_world_hint=True
        ),
        description="Register a release with its commits and deploys (for CI). "
        + (
            "Re-posting a version replaces its commits and deploys. "
            if replaces
            else "An existing version is reported as such. "
        )
        + "Example: create_release(version='shop@1.4.3', project='shop-web', "
        "commits=[{'sha':'a1b2c3d'}], deploys=[{'environment':'production'}])",
    )
    async def create_release(
        ctx: Context,
        version: Annotated[str, Field(description="Version, e.g. shop@1.4.3", min_length=1, max_length=200)],
        project: ProjectArg = None,
        ref: Annotated[str | None, Field(description="VCS ref / commit sha", max_length=200)] = None,
        url: Annotated[str | None, Field(description="Link to the release", max_length=2000)] = None,
        date_released: Annotated[str | None, Field(description="ISO-8601 release time")] = None,
        commits: Annotated[
            list[CommitSpec | Annotated[str, Field(min_length=1, max_length=200)]] | None,
            Field(
                description="Commits in the release: {'sha':…} objects or plain sha strings", max_length=1000
            ),
        ] = None,
        deploys: Annotated[
            list[DeploySpec] | None, Field(description="Deploys to record", max_length=50)
        ] = None,
    ) -> Annotated[CallToolResult, ReleaseCreated]:
        async def work(b: Backend) -> ReleaseCreated:
            if any(ord(c) < 32 for c in version):
                raise InvalidInput("version must not contain control characters")
            spec = ReleaseSpec(
                version=version.strip(), project=project or None, ref=ref, url=url,
                date_released=date_released, commits=[_commit(c) for c in commits or []],
                deploys=deploys or [],
            )  # fmt: skip
            return await b.create_release(spec)

        created = await call(ctx, work)
        return result(records.render_release_created(created), created)


TOOL = ToolSpec(
    name="create_release",
    register=register,
    write=True,
    example={"version": "shop-web@9.0.0", "project": "shop-web", "deploys": [{"environment": "prod"}]},
)
