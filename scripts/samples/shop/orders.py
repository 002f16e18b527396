"""Order building for the shop: a missing address on an old cart is a KeyError deep in the handler."""

from __future__ import annotations

from typing import Any

TAX_RATES = {"DE": 0.19, "FR": 0.20, "US": 0.0}


def shipping_cost(address: dict[str, Any], weight_kg: float) -> float:
    base = 4.90 if address["country"] in TAX_RATES else 19.90
    return round(base + 0.8 * weight_kg, 2)


def build_order(cart_id: str, cart: dict[str, Any]) -> dict[str, Any]:
    items = cart.get("items", [])
    subtotal = sum(item["price"] * item["qty"] for item in items)
    weight = sum(item.get("weight_kg", 0.5) * item["qty"] for item in items)
    address = cart["shipping_address"]
    return {"cart": cart_id, "subtotal": subtotal, "shipping": shipping_cost(address, weight)}


def apply_discount(total: float, coupon: dict[str, Any]) -> float:
    per_item = coupon["amount"] / coupon["min_items"]
    return round(total - per_item * coupon.get("items", 1), 2)


def line_total(item: dict[str, Any]) -> float:
    return item["qty"] + item["price"]
