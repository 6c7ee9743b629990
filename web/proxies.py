"""Whose X-Forwarded-For is believed (issue 14, finding 10).

uvicorn rewrites the client address from ``X-Forwarded-For`` when the peer is in its
``forwarded_allow_ips``, which defaults to 127.0.0.1: any local client (or a local proxy passing the
header through) could then pick its address and reset the per-address limits by rotating it.
``jiebang serve`` passes uvicorn the configured proxies only (``limits.trusted_proxies``; none by
default, so the peer's address is the client's). Run ``uvicorn web.asgi:app`` yourself with
``--forwarded-allow-ips`` set to your proxies, or ``--no-proxy-headers``.
"""

from __future__ import annotations

from typing import Any

from market.settings import Settings


def uvicorn_proxy_options(settings: Settings) -> dict[str, Any]:
    trusted = [ip.strip() for ip in settings.limits.trusted_proxies if ip.strip()]
    if not trusted:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": trusted}
