"""Recording: ``/v1/Trunks/{TrunkSid}/Recording``, a singleton per trunk (fetch and update).

Rules (DECISIONS.md): ``Mode`` and ``Trim`` from the spec's enums, case-sensitive; a partial update
keeps the other field; the trunk's ``recording`` field is this same object, so it always mirrors
it. The settings live in the trunk's record and go when the trunk is deleted.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from ..collection import Record
from ..params import Param
from .base import Context, Resource, existing_trunk

MODES = (
    "do-not-record",
    "record-from-ringing",
    "record-from-answer",
    "record-from-ringing-dual",
    "record-from-answer-dual",
)
TRIMS = ("trim-silence", "do-not-trim")


class Recording(Resource):
    name = "Recording"
    schema = "trunking.v1.trunk.recording"
    segment = "Recording"
    key = None  # a singleton: no list, no SID
    instance_methods = frozenset({"GET", "POST"})
    params = (
        Param("Mode", "mode", enum=MODES),
        Param("Trim", "trim", enum=TRIMS),
    )
    fields = ("mode", "trim")

    def get(self, ctx: Context, parent: Optional[str], sid: Optional[str]) -> Record:
        recording: Record = existing_trunk(ctx, parent)["recording"]
        return recording

    def update(
        self, ctx: Context, parent: Optional[str], sid: Optional[str], values: Dict[str, Any]
    ) -> Record:
        recording = self.get(ctx, parent, sid)
        recording.update(values)
        return recording

    def render(self, ctx: Context, record: Record) -> Dict[str, Any]:
        return {"mode": record["mode"], "trim": record["trim"]}


RECORDING = Recording()
