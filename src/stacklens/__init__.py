"""stacklens: an MCP server for Sentry and Jentry error data."""

__version__ = "0.1.0"
