"""Standard Webhooks signatures (https://www.standardwebhooks.com/), made by its own library."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable
from datetime import datetime

from standardwebhooks.webhooks import Webhook

PREFIX = "whsec_"


def new_secret() -> str:
    """A ``whsec_`` secret: 32 random bytes, base64, as receivers' libraries take it."""
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def signed_headers(
    *, event_id: str, at: datetime, body: str, secrets_live: Iterable[str]
) -> dict[str, str]:
    """The ``webhook-*`` headers of one request; one signature per live secret."""
    signatures = " ".join(Webhook(s).sign(event_id, at, body) for s in secrets_live)
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signatures,
    }
