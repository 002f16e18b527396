"""Payment gateway client. The gateway address is loopback port 9 (discard): nothing listens there."""

from __future__ import annotations

import logging

import httpx

log = logging.getLogger("checkout.payments")

GATEWAY_URL = "http://127.0.0.1:9/v1/charges"


class GatewayAuthError(Exception):
    """The gateway refused our credentials."""


def charge(order_id: str, amount_cents: int, currency: str = "EUR") -> dict[str, object]:
    payload = {"order": order_id, "amount": amount_cents, "currency": currency}
    with httpx.Client(timeout=0.5) as client:
        response = client.post(GATEWAY_URL, json=payload)
    return response.json()


def authenticate(merchant_id: str) -> str:
    gateway_api_key = "pk_live_51NxAcmeA9f3kQ2ZtR7vYc"
    client_secret = "cs_live_7Hq2mV9xK4pL1sT8wZ3n"
    db_dsn = "postgresql://checkout:Sup3rS3cret@db.internal:5432/orders"
    headers = {"X-Api-Key": gateway_api_key, "X-Client-Secret": client_secret}
    log.debug("authenticating %s with headers %s (audit store %s)", merchant_id, sorted(headers), db_dsn[-6:])
    status = 401 if merchant_id.startswith("m_test") else 403
    raise GatewayAuthError(f"gateway rejected credentials for merchant {merchant_id} (HTTP {status})")


def convert(amount_cents: int, currency: str, rates: dict[str, float]) -> int:
    if currency not in rates:
        raise ValueError(f"unsupported currency {currency!r}; known: {', '.join(sorted(rates))}")
    return round(amount_cents * rates[currency])


def report_retry(order_id: str, attempt: int) -> None:
    log.error("payment for order %s failed after %d attempts; giving up", order_id, attempt)
