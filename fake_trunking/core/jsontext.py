"""JSON text as every answer is encoded: one owner for the encoder and its settings.

``encode`` is orjson's ``dumps`` when orjson is installed (the ``fast`` extra: about six times
faster per rendered item, which is what a page rendered after a write spends most of its time on;
docs/decisions.md "JSON encoding"), else the standard library's public ``json.JSONEncoder`` made
once. Both give the same values; orjson writes compact JSON with UTF-8 text, the standard library
``", "``/``": "`` with ASCII escapes, and ``COMMA``/``COLON`` let a page assembled from encoded
items follow the encoder's own style. ``EncodedJSON`` marks a payload that is already JSON text (a
page assembled from cached items), so the handler does not encode it twice.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Optional

_STDLIB_ENCODER: Callable[[Any], str] = json.JSONEncoder(check_circular=False).encode


def encode_stdlib(payload: Any) -> str:
    """``json.dumps(payload)`` (its defaults: ``", "``/``": "`` separators, ASCII escapes) through
    one ``JSONEncoder`` made once: the standard library's public API, its C accelerator inside."""
    return _STDLIB_ENCODER(payload)


def _fast_encoder() -> Optional[Callable[[Any], str]]:
    """orjson's ``dumps`` when orjson is installed, else None. A payload orjson refuses (an
    integer beyond 64 bits) goes to the standard library."""
    try:
        import orjson
    except ImportError:
        return None
    dumps = orjson.dumps
    refused = orjson.JSONEncodeError

    def encode_fast(payload: Any) -> str:
        try:
            return dumps(payload).decode("utf-8")
        except refused:
            return _STDLIB_ENCODER(payload)

    return encode_fast


def encode_stdlib_bytes(payload: Any) -> bytes:
    """``encode_stdlib`` as UTF-8 bytes (its output is ASCII)."""
    return _STDLIB_ENCODER(payload).encode("utf-8")


def _fast_bytes_encoder() -> Optional[Callable[[Any], bytes]]:
    """orjson's ``dumps`` (bytes, as a body is sent) when orjson is installed, else None."""
    try:
        import orjson
    except ImportError:
        return None
    dumps = orjson.dumps
    refused = orjson.JSONEncodeError

    def encode_fast_bytes(payload: Any) -> bytes:
        try:
            return dumps(payload)
        except refused:
            return encode_stdlib_bytes(payload)

    return encode_fast_bytes


encode_fast = _fast_encoder()  # None without orjson
JSON_ENCODER = "orjson" if encode_fast is not None else "json"  # which one bodies are made with
encode: Callable[[Any], str] = encode_fast or encode_stdlib
# a body as bytes, with no detour through ``str`` (what every answer is made with)
encode_bytes: Callable[[Any], bytes] = _fast_bytes_encoder() or encode_stdlib_bytes
# a page is assembled from encoded items in the same style as the encoder's own output
COMMA, COLON = (",", ":") if encode_fast is not None else (", ", ": ")


class EncodedJSON(str):
    """A payload that is already JSON text (a page assembled from cached items)."""


__all__ = [
    "COLON",
    "COMMA",
    "JSON_ENCODER",
    "EncodedJSON",
    "encode",
    "encode_bytes",
    "encode_fast",
    "encode_stdlib",
    "encode_stdlib_bytes",
]
