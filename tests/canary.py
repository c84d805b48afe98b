"""Canary secrets and an independent leak detector for the security tests (issue 8, part 5).

The detector is written here, apart from ``fake_trunking.cassettes.scrub``, so that it checks
the fake's scrubbing instead of repeating it: a secret counts as leaked when it appears raw (any
letter case), URL-encoded (``quote``/``quote_plus``), or in standard or URL-safe base64 at any
byte alignment (inside a longer base64 run, like ``Basic base64(user:secret)``), or hex-encoded.
"""

from __future__ import annotations

import base64
import binascii
from typing import Iterable, List, Union
from urllib.parse import quote, quote_plus

# The tokens carry characters that every encoding changes (+ / = and a space), so each form
# below is a different string.
CANARY = "Canary+Token/6f1d e2a9=b47c0d35"  # the auth token of the account
CANARY_KEY_SECRET = "Key/Secret+canary 9e8d7c6b5a49=3"  # an API key's secret
CANARY_WRONG = "Wrong+Guess/canary 0a1b2c3d4e=5f"  # a token someone tried that is not valid
CANARIES = (CANARY, CANARY_KEY_SECRET, CANARY_WRONG)


def _base64_cores(raw: bytes) -> List[str]:
    """The base64 text that encodes ``raw`` whatever bytes surround it (3 alignments)."""
    cores = []
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + raw + b"\0\0").decode()
        start = -(-8 * shift // 6)  # characters that also encode the bytes before
        end = 8 * (shift + len(raw)) // 6  # ... and after
        core = encoded[start:end]
        cores += [core, core.replace("+", "-").replace("/", "_")]
    return cores


def leak_forms(secret: str) -> List[str]:
    raw = secret.encode("utf-8")
    forms = [secret, quote(secret, safe=""), quote_plus(secret), quote(secret)]
    forms += _base64_cores(raw)
    forms.append(binascii.hexlify(raw).decode())
    return forms


def leaks(output: Union[str, bytes], secrets: Iterable[str] = CANARIES) -> List[str]:
    """Which forms of which secrets ``output`` contains (empty: nothing leaked)."""
    text = output.decode("utf-8", "replace") if isinstance(output, bytes) else output
    lowered = text.lower()
    found = []
    for secret in secrets:
        for form in leak_forms(secret):
            if form in text or (form == secret and secret.lower() in lowered):
                found.append(f"{secret[:6]}… as {form[:12]}…")
    return found


def assert_no_leak(
    output: Union[str, bytes], where: str, secrets: Iterable[str] = CANARIES
) -> None:
    found = leaks(output, secrets)
    assert not found, f"{where} leaks a secret: {found}"
