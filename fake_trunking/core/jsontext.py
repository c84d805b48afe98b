"""JSON text as every answer is encoded: one owner for the encoder and its settings.

``encode`` is ``json.dumps`` with its defaults, minus the per-call set-up: the C encoder is made
once (a page encodes up to 1,000 items one by one). ``EncodedJSON`` marks a payload that is already
JSON text (a page assembled from cached items), so the handler does not encode it twice.
"""

from __future__ import annotations

import json
from typing import Any, Callable


def _make_encoder() -> Callable[[Any], str]:
    from json import encoder

    make = getattr(encoder, "c_make_encoder", None)
    if make is None:  # no C accelerator (e.g. PyPy)
        return json.JSONEncoder(check_circular=False).encode
    chunks = make(None, None, encoder.encode_basestring_ascii, None, ": ", ", ", False, False, True)
    return lambda payload: "".join(chunks(payload, 0))


encode = _make_encoder()


class EncodedJSON(str):
    """A payload that is already JSON text (a page assembled from cached items)."""


__all__ = ["EncodedJSON", "encode"]
