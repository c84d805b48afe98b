"""The proxy mode (``fake-trunking serve --proxy``): clients that cannot be given a base URL.

twilio-cli, twilio-node and the other helpers build ``https://trunking[.edge][.region].twilio.com``
and ``https://api[.edge][.region].twilio.com`` (API v2010) themselves; their one lever is
``HTTPS_PROXY``/``HTTP_PROXY``, which makes them send ``CONNECT trunking.twilio.com:443`` (or
``CONNECT api.twilio.com:443``) to the proxy. In proxy mode the server accepts that
``CONNECT`` for the hosts the fake serves, of both APIs (``core.hosts.is_served_host``, port 443
only),
answers ``200 Connection established``, terminates TLS itself with a certificate for the
requested host signed by the local CA (``server.certs``), and serves the requests inside the
tunnel through the very same request handling as plain server mode (``server.http``), with
``https://<the host asked for>`` as the base URL: every ``url``, ``links`` entry and page URL
points at the real host, so a client that follows ``next_page_url`` stays in the tunnel.

Nothing is ever forwarded. A ``CONNECT`` to any other host or port, and a plain proxied request
(absolute-form ``GET http://other/...``) for a host other than the server's own, are answered
403 with a Twilio error body (code 20403) whose message says that fake-trunking does not forward.
A 403 rather than a 502: nothing failed upstream, there is no upstream; the proxy refuses.

This module is the policy (which targets, which messages, which TLS context); the mechanics of
the tunnel are in ``server.http``, which asks it.
"""

from __future__ import annotations

import re
import shlex
import ssl
from typing import Dict, Optional, Tuple

from ..core.errors import TwilioError
from ..core.hosts import is_served_host
from .certs import CertificateAuthority

TLS_PORT = 443
SERVED_EXAMPLE = "trunking.twilio.com:443 or api.twilio.com:443"
# a DNS name (labels of letters, digits and hyphens), then a port
_TARGET = re.compile(
    r"(?P<host>[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}"
    r"[A-Za-z0-9])?)*)\.?:(?P<port>[0-9]{1,5})\Z"
)

# the environment variables ``environment`` sets, in the order ``serve --proxy`` prints them
ENVIRONMENT_NAMES = (
    "HTTPS_PROXY",
    "HTTP_PROXY",
    "NODE_EXTRA_CA_CERTS",
    "REQUESTS_CA_BUNDLE",
    "SSL_CERT_FILE",
)


def _shown(text: str) -> str:
    return "".join(c if c.isprintable() else "?" for c in text[:200])


def not_forwarded(what: str) -> TwilioError:
    """The 403 Twilio error for a request the proxy will not carry anywhere."""
    return TwilioError(
        403,
        20403,
        f"Forbidden: fake-trunking does not forward ({what}); as a proxy it answers only "
        f"CONNECT to the Twilio hosts it serves, port {TLS_PORT} (such as {SERVED_EXAMPLE}), "
        "itself, and sends nothing to any other host",
    )


class ProxyTunnels:
    """What the server asks in proxy mode: may this ``CONNECT`` be served, with which TLS
    context; the refusal for a plain proxied request."""

    def __init__(self, ca: CertificateAuthority) -> None:
        self.ca = ca

    @property
    def ca_file(self) -> str:
        """The CA certificate clients are told to trust."""
        return str(self.ca.cert_path)

    def accept(self, target: str) -> Tuple[Optional[str], Optional[TwilioError]]:
        """For ``CONNECT target``: the host to serve (lower-case), or the refusal."""
        found = _TARGET.match(target.strip())
        if found is None:
            return None, not_forwarded(f"CONNECT {_shown(target)!r} is not host:port")
        host, port = found.group("host").lower(), int(found.group("port"))
        if not is_served_host(host):
            return None, not_forwarded(f"CONNECT {host}:{port}: not a host the fake serves")
        if port != TLS_PORT:
            return None, not_forwarded(f"CONNECT {host}:{port}: only port {TLS_PORT} is served")
        return host, None

    def context_for(self, host: str) -> ssl.SSLContext:
        """The server-side TLS context for ``host`` (a certificate minted on first use)."""
        return self.ca.context_for(host)

    def refuse_absolute(self, target: str) -> TwilioError:
        """The refusal of a plain proxied request (absolute-form) for another host."""
        return not_forwarded(f"a plain proxied request for {_shown(target)}")


def environment(proxy_url: str, ca_file: str) -> Dict[str, str]:
    """The environment that points unmodified clients at a proxy-mode server: both proxy
    variables (twilio-node and twilio-cli read only the upper-case ``HTTP_PROXY``, for https
    too) and the CA file for Node (added to its roots), requests and OpenSSL (replacing theirs)."""
    values = (proxy_url, proxy_url, ca_file, ca_file, ca_file)
    return dict(zip(ENVIRONMENT_NAMES, values))


def export_lines(env: Dict[str, str]) -> str:
    """``export NAME=value`` lines a POSIX shell can ``eval`` (values quoted)."""
    return "".join(f"export {name}={shlex.quote(value)}\n" for name, value in env.items())


__all__ = [
    "ENVIRONMENT_NAMES",
    "SERVED_EXAMPLE",
    "TLS_PORT",
    "ProxyTunnels",
    "environment",
    "export_lines",
    "not_forwarded",
]
