"""Errors written for the model that reads them.

Backends and the HTTP layer raise these; the server turns them into MCP tool errors. Messages never contain
the upstream token (nothing here ever sees it).
"""


class StacklensError(Exception):
    """A failure we anticipated, with a message meant to be shown as is."""


class InvalidInput(StacklensError):
    """A parameter was refused before any request was sent."""


class NotSupported(StacklensError):
    """The backend cannot do what was asked; the message names the alternative."""


class UpstreamError(StacklensError):
    """The upstream answered with an error (or not at all)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status

    @property
    def not_found(self) -> bool:
        """The API said this id/slug does not exist (backends then name what to check)."""
        return self.status == 404


class NotTheApi(UpstreamError):
    """A 404 that is a web page, not the API's JSON: the URL (or its path prefix) is wrong, not the id, so
    it is not `not_found` and backends pass it on as is."""

    @property
    def not_found(self) -> bool:
        return False


class ConfigError(StacklensError):
    """Startup configuration is incomplete or invalid."""
