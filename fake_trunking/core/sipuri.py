"""SIP URIs as an origination URL's ``SipUrl`` takes them (RFC 3261 sections 19.1 and 25.1).

Rule: ``sip:[user[:password]@]host[:port][;name[=value]...][?name=value[&name=value]...]``, in
printable ASCII with no whitespace; the scheme in any case; ``sips:`` refused (Twilio: "sips is
NOT supported"); the host a DNS name (labels of letters, digits and ``-``, the last one starting
with a letter), an IPv4 address or a bracketed IPv6 address; a port from 1 to 65535; ``%`` only as
an escape of two hex digits. ``sip://host`` (the form Twilio's own API examples show) is taken as
``sip:host``.

Reason: Twilio says only "must be a sip: schema"; a value no SIP stack could dial (a space, no
host, a port of 99999) is refused, so a test never builds on a URL the real service would refuse.

Cost: every check is a C-level string operation (``translate``, ``count``, ``in``) or a regex of
one character class or one fixed-length lookahead (no nested quantifier, nothing to backtrack);
the only Python loop walks the labels of a host of at most 253 characters. So any input, however
long or hostile, is checked in linear time: a few milliseconds for 1 MiB.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Optional

RULE = (
    "must be a SIP URI sip:[user@]host[:port][;params] (RFC 3261) in printable ASCII "
    "without whitespace"
)

_UNRESERVED = r"A-Za-z0-9\-_.!~*'()%"  # with '%': escapes are checked on their own
_USER = re.compile(rf"[{_UNRESERVED}&=+$,;?/]+")
_PASSWORD = re.compile(rf"[{_UNRESERVED}&=+$,]*")
_HOSTNAME = re.compile(r"[A-Za-z0-9.-]+")
_IPV6 = re.compile(r"[0-9A-Fa-f:.]{2,45}")
_PORT = re.compile(r"[0-9]{1,5}")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")

_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_MARK = "-_.!~*'()%"
# ``str.translate`` tables that delete every character a parameter (or a header) may hold,
# leaving the separators (and any character that is not allowed) for plain string checks
_PARAM_CHARS = str.maketrans("", "", _ALNUM + _MARK + "[]/:&+$")
_HEADER_CHARS = str.maketrans("", "", _ALNUM + _MARK + "[]/?:+$")


def problem(value: str) -> Optional[str]:
    """None when ``value`` is a SIP URI the fake takes as a ``SipUrl``, else what is wrong."""
    if not value.isascii() or not value.isprintable() or " " in value:
        return "it has whitespace or a character that is not printable ASCII"
    scheme, colon, rest = value.partition(":")
    if scheme.lower() == "sips":
        return "sips: is not supported"
    if not colon or scheme.lower() != "sip":
        return "it does not start with sip:"
    if rest.startswith("//"):
        rest = rest[2:]
    if _BAD_ESCAPE.search(rest):
        return "a % is not followed by two hex digits"
    ats = rest.count("@")
    if ats > 1:
        return "it has more than one @"
    if ats:
        userinfo, _, rest = rest.partition("@")
        user, _, password = userinfo.partition(":")
        if not user:
            return "the user before @ is empty"
        if not _USER.fullmatch(user) or not _PASSWORD.fullmatch(password):
            return "the user part has a character a SIP URI does not allow"
    cut = len(rest)
    for mark in ";?":
        at = rest.find(mark)
        if 0 <= at < cut:
            cut = at
    wrong = _hostport(rest[:cut]) or _tail(rest[cut:])
    return wrong


def _hostport(hostport: str) -> Optional[str]:
    if hostport.startswith("["):
        end = hostport.find("]")
        if end < 0:
            return "an IPv6 host has no closing ]"
        inner, after = hostport[1:end], hostport[end + 1 :]
        try:
            if not _IPV6.fullmatch(inner):
                raise ValueError(inner)
            ipaddress.IPv6Address(inner)
        except ValueError:
            return "the host is not a valid IPv6 address"
        if after and not after.startswith(":"):
            return "the host is followed by something other than :port"
        port = after[1:] if after else None
    else:
        host, colon, after = hostport.partition(":")
        wrong = _hostname(host)
        if wrong is not None:
            return wrong
        port = after if colon else None
    if port is not None and (not _PORT.fullmatch(port) or not 1 <= int(port) <= 65535):
        return "the port is not a number from 1 to 65535"
    return None


def _hostname(host: str) -> Optional[str]:
    if not host:
        return "it has no host"
    if len(host) > 253:
        return "the host is longer than 253 characters"
    if not _HOSTNAME.fullmatch(host):
        return "the host has a character that is not a letter, digit, '-' or '.'"
    labels = (host[:-1] if host.endswith(".") else host).split(".")
    for label in labels:
        if not label:
            return "the host has an empty label"
        if len(label) > 63:
            return "a host label is longer than 63 characters"
        if label[0] == "-" or label[-1] == "-":
            return "a host label starts or ends with '-'"
    if all(label.isdigit() for label in labels):
        if len(labels) != 4 or any(int(label) > 255 for label in labels):
            return "the host is not a valid IPv4 address"
    elif not labels[-1][0].isalpha():
        return "the host's last label does not start with a letter"
    return None


def _tail(tail: str) -> Optional[str]:
    """``;params`` then ``?headers`` (either may be absent)."""
    params, question, headers = tail.partition("?")
    if params:
        body = params[1:]  # params starts with ';' (see ``problem``)
        marks = body.translate(_PARAM_CHARS)  # the ';' and '=' separators, in order
        if len(marks) != marks.count(";") + marks.count("="):
            return "a ;parameter has a character a SIP URI does not allow"
        if (
            not body
            or body[0] in ";="
            or body[-1] in ";="
            or ";;" in body
            or ";=" in body
            or "=;" in body
            or "==" in marks  # two '=' in one parameter
        ):
            return "a ;parameter is not name or name=value"
    if question:
        marks = headers.translate(_HEADER_CHARS)
        if len(marks) != marks.count("&") + marks.count("="):
            return "a ?header has a character a SIP URI does not allow"
        if (
            not headers
            or headers[0] == "="
            or "&=" in headers
            or marks != "=" + "&=" * marks.count("&")  # exactly one '=' in each header
        ):
            return "a ?header is not name=value"
    return None


__all__ = ["RULE", "problem"]
