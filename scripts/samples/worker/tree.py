"""Category tree export. A category that lists itself as its parent recurses until Python gives up."""

from __future__ import annotations

from typing import Any


def flatten(categories: dict[str, dict[str, Any]], node: str, path: str = "") -> list[str]:
    parent = categories[node].get("parent")
    prefix = flatten(categories, parent, path) if parent else []
    return [*prefix, node]


def export_tree(categories: dict[str, dict[str, Any]]) -> list[list[str]]:
    return [flatten(categories, name) for name in sorted(categories)]
