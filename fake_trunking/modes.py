"""The test modes a backend opens in (``--trunking-mode``), defined once.

Kept apart from ``cassettes`` so that the pytest plugin can offer the choices without importing
the cassette machinery (vcrpy, YAML) in every test run.
"""

from __future__ import annotations

# fake: the in-memory fake; replay: answers from a cassette; record: Twilio itself, recorded;
# live: Twilio itself, not recorded; once: replay a cassette that exists, record a missing one
MODES = ("fake", "replay", "record", "live", "once")
RECORDING_MODES = ("record", "live", "once")  # the modes that may reach Twilio itself

__all__ = ["MODES", "RECORDING_MODES"]
