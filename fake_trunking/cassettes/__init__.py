"""Cassettes: record real Twilio traffic safely, replay it deterministically, check the fake.

- ``format``: vcrpy's YAML cassette format, safe reading, scrub + leak check + atomic writing;
- ``scrub``: default scrubbing (Authorization, account SIDs) and the leak check;
- ``replay``: ``Replayer.handle``, the indexed, order-insensitive matcher;
- ``record``: ``open_backend`` for the ``fake``/``replay``/``record``/``live``/``once`` modes;
- ``save``: ``fake.save_cassette``; ``seed``: cassette -> state (``fake.load_cassette``);
- ``verify``: the fake-vs-cassette diff behind ``fake-trunking verify``.

Nothing here imports ``yaml`` or ``vcr`` until a cassette is read, written or recorded.
"""

from __future__ import annotations

from ..modes import MODES
from .format import (
    Cassette,
    CassetteError,
    Interaction,
    LeakError,
    read_cassette,
)
from .record import FakeOnlyError, RecordingRefused, open_backend
from .replay import Replayer, UnmatchedRequest
from .save import write_cassette
from .scrub import PLACEHOLDER_ACCOUNT, add_scrubber, remove_scrubber
from .seed import final_state, initial_state
from .verify import (
    Deviation,
    Difference,
    InteractionResult,
    Outcome,
    UnmappedId,
    VerifyResult,
    find_cassettes,
    load_deviations,
    verify,
)

__all__ = [
    "MODES",
    "PLACEHOLDER_ACCOUNT",
    "Cassette",
    "CassetteError",
    "Deviation",
    "Difference",
    "FakeOnlyError",
    "Interaction",
    "InteractionResult",
    "LeakError",
    "Outcome",
    "RecordingRefused",
    "Replayer",
    "UnmappedId",
    "UnmatchedRequest",
    "VerifyResult",
    "add_scrubber",
    "final_state",
    "find_cassettes",
    "initial_state",
    "load_deviations",
    "open_backend",
    "read_cassette",
    "remove_scrubber",
    "verify",
    "write_cassette",
]
