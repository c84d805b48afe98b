"""The hosts the fake serves and what counts as loopback: one owner for both rules.

Every way in asks these: the requests and aiohttp interceptions (which URLs the fake answers, which
never leave the machine), the server (``client_for``'s base URL), the proxy mode (which ``CONNECT``
targets it accepts), cassette recording (which base URL may be recorded) and the network block
(which names need no resolver).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Optional

DEFAULT_BASE_URL = "https://trunking.twilio.com"

# The host names the fake serves, as regular expressions: every rule below is built from this one
# tuple (a new API adds its host here, and the interceptions, the server and the proxy follow).
# The Trunking API: trunking.twilio.com and trunking[.<edge>][.<region>].twilio.com.
SERVED_HOST_PATTERNS = (r"trunking(?:\.[A-Za-z0-9-]+){0,2}\.twilio\.com",)

_SERVED = "|".join(SERVED_HOST_PATTERNS)

# a URL on a served host (http or https, any port)
HOST_RE = re.compile(rf"https?://(?:{_SERVED})(?::[0-9]+)?(?:[/?#]|\Z)", re.IGNORECASE)

# a served host name alone (no scheme, no port)
HOST_NAME_RE = re.compile(rf"(?:{_SERVED})\Z", re.IGNORECASE)


def is_trunking_url(url: str) -> bool:
    """True for a URL on a Trunking host (any edge and region, http or https, any port)."""
    return HOST_RE.match(url) is not None


def is_served_host(name: str) -> bool:
    """True for a host name the fake serves (``trunking[.edge][.region].twilio.com``, any case;
    no port, no trailing dot). The proxy mode accepts ``CONNECT`` for exactly these names, so a
    host added to ``SERVED_HOST_PATTERNS`` is accepted there too."""
    return HOST_NAME_RE.match(name) is not None


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
