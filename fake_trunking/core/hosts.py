"""The hosts the fake serves and what counts as loopback: one owner for both rules.

Every way in asks these: the requests and aiohttp interceptions (which URLs the fake answers, which
never leave the machine), the server (``client_for``'s base URL), cassette recording (which base URL
may be recorded) and the network block (which names need no resolver).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Optional

DEFAULT_BASE_URL = "https://trunking.twilio.com"

# the hosts of the Trunking API: trunking.twilio.com and trunking[.<edge>][.<region>].twilio.com
HOST_RE = re.compile(
    r"https?://trunking(?:\.[A-Za-z0-9-]+){0,2}\.twilio\.com(?::[0-9]+)?(?:[/?#]|\Z)",
    re.IGNORECASE,
)


def is_trunking_url(url: str) -> bool:
    """True for a URL on a Trunking host (any edge and region, http or https, any port)."""
    return HOST_RE.match(url) is not None


def is_loopback_host(host: Optional[str]) -> bool:
    """True for ``localhost``, ``*.localhost``, ``127.0.0.0/8`` and ``::1`` (any case)."""
    if not host:
        return False
    name = host.strip().lower()
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    name = name.rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name.split("%", 1)[0]).is_loopback
    except ValueError:
        return False
