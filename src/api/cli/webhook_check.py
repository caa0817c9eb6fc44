"""Before `lessor serve` starts: can the local Stripe stand-in reach our webhook endpoint?

The stand-in (used when no Stripe key is set) posts its webhooks to LESSOR_PUBLIC_URL. If
that names this machine but not the address being served, every payment outcome is lost
(docs/adr/0016). A URL naming another host (a tunnel, a proxy) is taken on trust: only that
host can tell.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from api.settings import WILDCARD_HOSTS, Settings, local_url


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def unreachable_webhook(settings: Settings, host: str, port: int) -> str | None:
    """One line of warning when the stand-in's webhooks cannot reach a server bound to
    host:port; None when they can, when Stripe itself delivers, or when we cannot tell."""
    if settings.stripe_api_key is not None and settings.stripe_api_key.get_secret_value():
        return None
    webhook_url = settings.public_url.rstrip("/") + "/webhooks/stripe"
    target = urlsplit(webhook_url)
    target_host = (target.hostname or "").lower()
    served_loopback = host in WILDCARD_HOSTS or _is_loopback(host)
    if _is_loopback(target_host):
        reachable = served_loopback
    elif target_host == host.lower():
        reachable = True
    else:
        return None  # another machine's name or address: taken on trust
    try:
        target_port = target.port or (443 if target.scheme == "https" else 80)
    except ValueError:  # a port that is not a number
        target_port = -1
    if reachable and target.scheme == "http" and target_port == port:
        return None
    return (
        f"warning: the Stripe stand-in posts webhooks to {webhook_url}, which is not this "
        f"server ({local_url(host, port)}): payments will never be recorded; unset "
        "LESSOR_PUBLIC_URL or point it at this server"
    )
