"""The product-feed job: one job, two ways to fail (a price the partner formatted its own way, a product
without images). Both are grouped as one issue by the job's fingerprint."""

from __future__ import annotations

from typing import Any


def parse_price(raw: str) -> float:
    return float(raw)


def main_image(product: dict[str, Any]) -> str:
    return str(product["images"][0]["url"])


def feed_row(product: dict[str, Any]) -> dict[str, Any]:
    return {"sku": product["sku"], "price": parse_price(product["price"]), "image": main_image(product)}


def build_feed(products: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [feed_row(p) for p in products]
