"""Secrets the API carries in bodies: one owner for which they are, how they are kept and how they
are hidden (SECURITY.md "Secrets").

- Request form fields whose values are secrets (``SECRET_FORM_FIELDS``: a SIP credential's
  ``Password``) and response JSON fields that carry one (``SECRET_BODY_FIELDS``: an API key's
  ``secret``, shown once at create; an account's ``auth_token``). The call log (``CallLog``), the
  server's request log (built from it) and cassettes (``cassettes.scrub``) hold these values as
  ``REDACTED``; state files never hold them in the clear (a salted hash instead).
- ``hash_secret``/``verify_secret``: a salted PBKDF2-SHA256 of a secret, the only form the store
  keeps. The cost is small on purpose (``ITERATIONS``): a fake never needs the clear text, only
  a comparison (an API key's secret when it authenticates), and tests make many of them.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Callable, Optional

SECRET_FORM_FIELDS = ("Password",)
SECRET_BODY_FIELDS = ("secret", "auth_token")
REDACTED = "<redacted>"
ITERATIONS = 1000
SCHEME = "pbkdf2_sha256"

# ``Password=…`` in a form body: up to the next ``&`` (linear; the name is matched literally)
_FORM = re.compile(
    r"(?:(?<=&)|^)(" + "|".join(SECRET_FORM_FIELDS) + r")=[^&]*", re.IGNORECASE | re.MULTILINE
)
_FORM_BYTES = re.compile(_FORM.pattern.encode("ascii"), re.IGNORECASE | re.MULTILINE)
# ``"secret": "…"`` in JSON text the fake wrote (its encoder escapes quotes, so ``[^"\\]`` and
# escapes cover a whole string; a body cut short still loses the rest of the value)
_JSON = re.compile(r'"(' + "|".join(SECRET_BODY_FIELDS) + r')": ?"(?:[^"\\]|\\.)*("|\Z)')
_JSON_BYTES = re.compile(_JSON.pattern.encode("ascii"))
_ENCODED = "%3Credacted%3E"


_SECRET_NAMES = frozenset(name.lower() for name in SECRET_FORM_FIELDS)


def is_secret_field(name: str) -> bool:
    """Is ``name`` a form field whose value is a secret (any case)?"""
    return name.lower() in _SECRET_NAMES


# what ``verify`` sends for a secret field a cassette holds as ``<redacted>``: a value that passes
# the password rule (12+ characters, a digit, mixed case), so the recorded request can be replayed
STAND_IN = "Redacted-Passw0rd"


def stand_in_form(text: str) -> str:
    """``text`` (a form body) with each *redacted* secret field's value replaced by
    ``STAND_IN``; a secret that is still there is left as it is."""

    def put(match: re.Match[str]) -> str:
        value = match.group(0).split("=", 1)[1]
        return f"{match.group(1)}={STAND_IN}" if value in (_ENCODED, REDACTED) else match.group(0)

    return _FORM.sub(put, text) if "=" in text else text


def redact_form(text: str) -> str:
    """``text`` (a form body) with every secret field's value replaced by ``REDACTED``."""
    if "=" not in text:
        return text
    return _FORM.sub(lambda m: f"{m.group(1)}={_ENCODED}", text)


def redact_json(text: str) -> str:
    """``text`` (JSON) with every secret field's string value replaced by ``REDACTED``."""
    return _JSON.sub(lambda m: f'"{m.group(1)}": "{REDACTED}"', text)


def redact_form_bytes(body: bytes) -> bytes:
    if b"=" not in body:
        return body
    return _FORM_BYTES.sub(lambda m: m.group(1) + b"=" + _ENCODED.encode("ascii"), body)


_BODY_NAMES = tuple(f'"{name}"'.encode("ascii") for name in SECRET_BODY_FIELDS)


def redact_json_bytes(body: bytes) -> bytes:
    # every answer passes here (the call log): a substring test spares the regex scan of the
    # answers that hold no secret field at all, which is nearly all of them
    if not any(name in body for name in _BODY_NAMES):
        return body
    return _JSON_BYTES.sub(lambda m: b'"' + m.group(1) + b'": "' + REDACTED.encode() + b'"', body)


def form_secrets(text: str) -> list[str]:
    """The clear values of the secret fields of a form body (for the cassette leak check)."""
    from urllib.parse import parse_qsl

    wanted = {f.lower() for f in SECRET_FORM_FIELDS}
    pairs = parse_qsl(text, keep_blank_values=True)
    return [v for k, v in pairs if k.lower() in wanted and v and v != REDACTED]


def json_secrets(text: str) -> list[str]:
    """The clear values of the secret fields of JSON text (for the cassette leak check)."""
    if not any(f'"{name}"' in text for name in SECRET_BODY_FIELDS):
        return []
    out: list[str] = []
    for match in _JSON_VALUE.finditer(text):
        value = match.group(2)
        if value and value != REDACTED:
            out.append(value)
    return out


_JSON_VALUE = re.compile(r'"(' + "|".join(SECRET_BODY_FIELDS) + r')": ?"((?:[^"\\]|\\.)*)"')


def hash_secret(secret: str, salt_hex: str) -> str:
    """``pbkdf2_sha256$<iterations>$<salt>$<hash>`` of ``secret``; ``salt_hex`` from the store
    (``Store.random_hex``), so a seeded fake stays reproducible."""
    digest = hashlib.pbkdf2_hmac(
        "sha256", secret.encode("utf-8"), bytes.fromhex(salt_hex), ITERATIONS
    )
    return f"{SCHEME}${ITERATIONS}${salt_hex}${digest.hex()}"


def verify_secret(stored: Optional[str], secret: str) -> bool:
    """Does ``secret`` match ``stored`` (a ``hash_secret`` value)? Constant-time compare."""
    if not stored:
        return False
    parts = stored.split("$")
    if len(parts) != 4 or parts[0] != SCHEME or not parts[1].isdigit():
        return False
    rounds = int(parts[1])
    if not 1 <= rounds <= 100_000:
        return False
    try:
        salt = bytes.fromhex(parts[2])
    except ValueError:
        return False
    digest = hashlib.pbkdf2_hmac("sha256", secret.encode("utf-8"), salt, rounds)
    return hmac.compare_digest(digest.hex(), parts[3])


def is_hash(value: object) -> bool:
    """Is ``value`` shaped like a ``hash_secret`` value (what a state file may hold)?"""
    return isinstance(value, str) and bool(_HASH.match(value))


_HASH = re.compile(SCHEME.replace("$", r"\$") + r"\$[0-9]{1,6}\$[0-9a-f]{2,64}\$[0-9a-f]{64}\Z")

Redactor = Callable[[str], str]

__all__ = [
    "REDACTED",
    "SECRET_BODY_FIELDS",
    "SECRET_FORM_FIELDS",
    "form_secrets",
    "hash_secret",
    "is_hash",
    "is_secret_field",
    "json_secrets",
    "redact_form",
    "redact_form_bytes",
    "redact_json",
    "redact_json_bytes",
    "stand_in_form",
    "verify_secret",
]
