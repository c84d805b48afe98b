"""Scrubbing (on by default) and the leak check every cassette passes before it is written.

Scrubbing, in this order:
1. the ``Authorization``, ``Proxy-Authorization`` and ``Cookie`` request headers and the
   ``Set-Cookie`` response header are removed;
2. every account SID (``AC`` + 32 hex) in URLs, bodies, header values and the interaction's
   ``account`` is replaced by a stable placeholder: the first account seen becomes
   ``AC00000000000000000000000000000000``, the next ``…01``, and so on;
3. the secrets bodies carry (``core.redact``: a SIP credential's ``Password`` in a request form,
   an API key's ``secret`` and an account's ``auth_token`` in a response) become ``<redacted>``;
4. the hooks registered with ``add_scrubber`` run, then the call's own ``before_save`` hook. A hook
   gets each ``Interaction`` (a copy it may change) and returns it, or None to drop it.

The leak check scans the exact text about to be written for each secret (the auth tokens and API
key secrets in play, whatever the interactions' ``Authorization`` headers carried, and the
``Password`` values of their request forms and the ``secret``/``auth_token`` values of their
answers, before scrubbing): in plain
text, URL-encoded, base64 in any alignment (so ``base64("AC…:token")`` inside a header is
found too), and hex-encoded (either letter case). Secrets shorter than 8 characters are not
scanned (they would match by accident). Messages never repeat the secret.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import replace
from typing import Callable, Dict, Iterable, List, Optional, Tuple
from urllib.parse import quote, quote_plus

from ..core.auth import parse_basic
from ..core.redact import form_secrets, json_secrets, redact_form, redact_json
from .format import Cassette, Headers, Interaction

Hook = Callable[[Interaction], Optional[Interaction]]

REMOVED_REQUEST_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})
REMOVED_RESPONSE_HEADERS = frozenset({"set-cookie"})
MIN_SECRET_LENGTH = 8

ACCOUNT_SID = re.compile(r"(?<![0-9A-Za-z])AC[0-9a-fA-F]{32}(?![0-9A-Za-z])")
PLACEHOLDER_ACCOUNT = "AC" + "0" * 32

_scrubbers: List[Hook] = []


def account_placeholder(n: int) -> str:
    """The placeholder of the ``n``-th account (0-based) a cassette mentions."""
    return f"AC{n:032x}"


def add_scrubber(hook: Hook) -> Hook:
    """Run ``hook`` on every interaction of every cassette this process writes (after the
    default scrubbing). Returns ``hook``, so it also works as a decorator in a conftest.py."""
    if hook not in _scrubbers:
        _scrubbers.append(hook)
    return hook


def remove_scrubber(hook: Hook) -> None:
    if hook in _scrubbers:
        _scrubbers.remove(hook)


def scrub_cassette(cassette: Cassette, before_save: Optional[Hook] = None) -> Cassette:
    """A scrubbed copy of ``cassette`` (the original is not changed)."""
    mapping: Dict[str, str] = {}

    def sub(text: str) -> str:
        def placeholder(match: re.Match[str]) -> str:
            sid = match.group(0)
            found = mapping.get(sid)
            if found is None:
                found = mapping[sid] = account_placeholder(len(mapping))
            return found

        return ACCOUNT_SID.sub(placeholder, text)

    def headers(raw: Headers, removed: frozenset[str]) -> Headers:
        return {k: [sub(v) for v in vs] for k, vs in raw.items() if k.lower() not in removed}

    hooks = [*_scrubbers, *([before_save] if before_save is not None else [])]
    out: List[Interaction] = []
    for it in cassette.interactions:
        scrubbed: Optional[Interaction] = replace(
            it,
            account=None if it.account is None else sub(it.account),
            uri=sub(it.uri),
            request_headers=headers(it.request_headers, REMOVED_REQUEST_HEADERS),
            request_body=None if it.request_body is None else redact_form(sub(it.request_body)),
            response_headers=headers(it.response_headers, REMOVED_RESPONSE_HEADERS),
            response_body=redact_json(sub(it.response_body)),
        )
        for hook in hooks:
            if scrubbed is None:
                break
            scrubbed = hook(scrubbed)
        if scrubbed is not None:
            out.append(scrubbed)
    return Cassette(out, dict(cassette.metadata))


def harvest_secrets(cassette: Cassette) -> List[str]:
    """The secrets the interactions carry: their ``Authorization`` headers' (Basic password,
    Bearer), their request forms' ``Password`` values, their answers' ``secret`` and
    ``auth_token`` values (``core.redact``)."""
    found: Dict[str, None] = {}
    for it in cassette.interactions:
        if it.request_body:
            for secret in form_secrets(it.request_body):
                found.setdefault(secret, None)
        for secret in json_secrets(it.response_body):
            found.setdefault(secret, None)
        for name, values in it.request_headers.items():
            if name.lower() not in ("authorization", "proxy-authorization"):
                continue
            for value in values:
                scheme, _, credentials = value.strip().partition(" ")
                credentials = credentials.strip()
                if scheme.lower() == "basic":
                    basic = parse_basic(f"Basic {credentials}")
                    # not decodable: the whole value is what must not be written
                    found.setdefault(credentials if basic is None else basic[1], None)
                elif credentials:
                    found.setdefault(credentials, None)
    return [s for s in found if s]


def secret_forms(secret: str) -> List[Tuple[str, str]]:
    """``(text, how)`` for every form of ``secret`` the leak check looks for."""
    if len(secret) < MIN_SECRET_LENGTH:
        return []
    forms: Dict[str, str] = {secret: "in plain text"}
    for encoded in (quote(secret, safe=""), quote_plus(secret, safe="")):
        forms.setdefault(encoded, "URL-encoded")
    raw = secret.encode("utf-8")
    for shift in range(3):  # the secret may start at any byte offset of a base64 run
        encoded = base64.b64encode(b"\0" * shift + raw).decode("ascii")
        start = -(-8 * shift // 6)  # the first characters also encode the bytes before it
        end = 8 * (shift + len(raw)) // 6  # the last ones also encode the bytes after it
        core = encoded[start:end]
        if len(core) >= MIN_SECRET_LENGTH:
            forms.setdefault(core, "base64-encoded")
            forms.setdefault(core.replace("+", "-").replace("/", "_"), "base64-encoded")
    hexed = binascii.hexlify(raw).decode("ascii")
    forms.setdefault(hexed, "hex-encoded")
    forms.setdefault(hexed.upper(), "hex-encoded")
    return list(forms.items())


def find_leaks(text: str, secrets: Iterable[str]) -> List[str]:
    """How each secret that ``text`` contains appears there ("a secret in plain text"...)."""
    lowered: Optional[str] = None
    leaks: List[str] = []
    for secret in dict.fromkeys(secrets):
        for form, how in secret_forms(secret):
            if form in text:
                leaks.append(f"a secret {how}")
                break
        else:
            if len(secret) >= MIN_SECRET_LENGTH:
                lowered = text.lower() if lowered is None else lowered
                if secret.lower() in lowered:
                    leaks.append("a secret in plain text (other letter case)")
    return leaks
