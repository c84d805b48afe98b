"""Recording: ``/v1/Trunks/{TrunkSid}/Recording``, a singleton per trunk (fetch and update).

Rules (DECISIONS.md, docs/decisions.md): ``Mode`` and ``Trim`` from the spec's enums, in any case
(Twilio's 2018 changelog: "Added case-insensitivity for recording parameter"), stored and shown
in the spec's lower-case spelling; a partial update
keeps the other field; the trunk's ``recording`` field is this same object, so it always mirrors
it. The settings live in the trunk's record (as ``(mode, trim)``) and go when the trunk is deleted.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional, Tuple

from ...core.collection import Record
from ...core.params import Param
from .base import Context, Resource, existing_trunk

MODES = (
    "do-not-record",
    "record-from-ringing",
    "record-from-answer",
    "record-from-ringing-dual",
    "record-from-answer-dual",
)
TRIMS = ("trim-silence", "do-not-trim")

# The trunk's record keeps its recording as a ``(mode, trim)`` tuple of plain strings, not a
# nested dict: a record of plain values is invisible to the garbage collector, so big accounts
# cost nothing in full collections. ``shown``/``stored`` convert at the edges (API, snapshots).
Stored = Tuple[str, str]
DEFAULT: Stored = ("do-not-record", "do-not-trim")


def shown(value: Stored) -> Dict[str, str]:
    return {"mode": value[0], "trim": value[1]}


def stored(value: Mapping[str, str]) -> Stored:
    return (value["mode"], value["trim"])


class Recording(Resource):
    name = "Recording"
    schema = "trunking.v1.trunk.recording"
    segment = "Recording"
    key = None  # a singleton: no list, no SID
    instance_methods = frozenset({"GET", "POST"})
    params = (
        Param("Mode", "mode", enum=MODES, fold_case=True),
        Param("Trim", "trim", enum=TRIMS, fold_case=True),
    )
    fields = ("mode", "trim")

    def get(self, ctx: Context, parent: Optional[str], sid: Optional[str]) -> Record:
        return shown(existing_trunk(ctx, parent)["recording"])

    def update(
        self, ctx: Context, parent: Optional[str], sid: Optional[str], values: Dict[str, Any]
    ) -> Record:
        trunk = existing_trunk(ctx, parent)
        mode, trim = trunk["recording"]
        trunk["recording"] = (values.get("mode", mode), values.get("trim", trim))
        return shown(trunk["recording"])

    def render(self, ctx: Context, record: Record) -> Dict[str, Any]:
        return {"mode": record["mode"], "trim": record["trim"]}


RECORDING = Recording()
