"""``verify``: replay a cassette's requests against a fresh fake and diff every answer.

The fake starts from the state the cassette shows existed before its first request
(``seed.initial_state``: the registry objects it associated, trunks it used but did not create,
and the API v2010 objects it used but did not create: lists, numbers, keys, a list's credentials
and IP addresses, each as first seen; a rebuilt credential or key has no secret, which no replayed
request needs: each is sent with the recorded account's Basic auth), and the accounts it used but
did not create (subaccounts with their owner and their status when first seen). A request made
with a subaccount's own credentials is sent as that subaccount's SID in the fake (for one the
session created, the SID the fake's create answered).
Then each recorded request is sent, in order, through ``FakeTrunkingService.handle`` and its answer
is compared with the recorded one: the HTTP status, and the JSON body field by field (the set of
fields, then each value), so an error's ``code`` and ``message`` are compared too.

Normalisation, LocalStack-style: each side's SIDs are replaced by reference, per prefix in order of
first appearance (the first ``TK`` either side shows is ``<TK:1>``; keys are walked in sorted
order, so key order never matters), also inside URLs and page tokens; ISO dates become ``<date>``
(RFC 2822 ones ``<date:rfc2822>``, so a format change still shows); request ids ``<request-id>``.
A recorded request that names a SID is sent with the fake's SID of the same reference.

What the report explains, so it can be acted on in one read:
- one side succeeded and the other failed: ONE line (status and error code of each side), the
  bodies are not compared field by field;
- an id in a request path that is not a SID (``TKXXXX…``, a documentation placeholder; anything
  but prefix + 32 hex digits) cannot be mapped: a warning names it and the interactions using it;
- a difference on an id an earlier one-sided failure left unusable (a later request on a trunk
  whose create failed) is marked a *consequence* of that interaction, not a new difference;
- ``shape=True`` (``--shape``) compares keys, JSON types and nesting only, for cassettes built
  from documentation examples (a cassette whose ``metadata`` has ``compare: shape`` is always
  compared so);
- the summary counts the interactions that agree, differ, are consequences, and were skipped as
  known deviations (``VerifyResult.agreed``, ``differed``, ``consequences``, ``known``).

``fake-trunking verify`` takes files and folders (every ``*.yaml``, ``*.yml``, ``*.json`` under a
folder, known-deviations files excepted). Exit status: 0 every interaction agrees (known
deviations allowed), 1 the fake differs (consequences included), 2 a file or folder could not be
used.

Known deviations are reviewed differences that pass: a YAML or JSON file ::

    deviations:
      - field: body.message          # the difference's field; * matches anything
        request: "POST /v1/Trunks"   # optional: METHOD and normalised path, * allowed
        cassette: "*.yaml"           # optional: the cassette's file name or path, * allowed
        reason: "Twilio words this error differently"   # required

A one-sided failure (one side succeeded, the other failed) is the field ``status`` too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Set, Tuple, Union

from ..core.auth import basic_header
from ..core.redact import redact_json, stand_in_form
from .format import (
    Cassette,
    CassetteError,
    Interaction,
    PathLike,
    parse_json,
    parse_yaml,
    read_cassette,
    read_text,
)

_SID = re.compile(r"(?<![0-9A-Za-z])(P[AB])?([A-Z]{2}[0-9a-fA-F]{32})(?![0-9A-Za-z])")
_ISO_DATE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)")
_RFC2822 = re.compile(
    r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d? [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d (?:[+-]\d{4}|GMT)"
)
VERIFY_TOKEN = "fake-trunking-verify"


class Labels:
    """One side's SID references: ``TK…`` -> ``<TK:1>`` in order of first appearance."""

    def __init__(self) -> None:
        self.label_of: Dict[str, str] = {}
        self.sid_of: Dict[str, str] = {}
        self._count: Dict[str, int] = {}

    def label(self, sid: str) -> str:
        if sid.startswith("RQ"):
            return "<request-id>"
        found = self.label_of.get(sid)
        if found is None:
            prefix = sid[:2]
            n = self._count[prefix] = self._count.get(prefix, 0) + 1
            found = self.label_of[sid] = f"<{prefix}:{n}>"
            self.sid_of[found] = sid
        return found

    def text(self, value: str, new: bool = True) -> str:
        def sub(match: re.Match[str]) -> str:
            sid = match.group(2)
            label = self.label(sid) if new else self.label_of.get(sid, f"<{sid[:2]}:?>")
            return (match.group(1) or "") + label

        value = _SID.sub(sub, value)
        value = _ISO_DATE.sub("<date>", value)
        return _RFC2822.sub("<date:rfc2822>", value)

    def skip(self, other: Labels, prefix: str) -> None:
        """Skip the ``prefix`` references ``other`` has handed out and this side has not (an
        object one side created and the other failed to)."""
        self._count[prefix] = max(self._count.get(prefix, 0), other._count.get(prefix, 0))

    def normalise(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: self.normalise(value[k]) for k in sorted(value, key=str)}
        if isinstance(value, list):
            return [self.normalise(v) for v in value]
        if isinstance(value, str):
            return self.text(value)
        return value


@dataclass(frozen=True)
class Difference:
    index: int  # 1-based interaction number
    request: str  # "METHOD /normalised/path"
    field: str  # "status", or "body" plus a JSON path: "body.trunks[0].friendly_name"
    # "status" (both failed, differently), "outcome" (one side succeeded, the other failed:
    # ``recorded``/``fake`` are ``Outcome``s and no field of the bodies is compared), "missing"
    # (from the fake), "extra" (only the fake has it), "value", "type" (``--shape``: JSON types)
    kind: str
    recorded: Any = None
    fake: Any = None

    def describe(self, brief: bool = False) -> str:
        """One line; ``brief``: an outcome without the error message."""
        if self.kind == "outcome":
            fake = self.fake
            if brief and isinstance(fake, Outcome):
                fake = Outcome(fake.status, fake.code)
            return f"recorded {self.recorded}, but the fake answered {fake}"
        if self.kind == "missing":
            return f"{self.field}: recorded {_short(self.recorded)}, missing from the fake's answer"
        if self.kind == "extra":
            return f"{self.field}: not recorded, the fake answers {_short(self.fake)}"
        if self.kind == "type":
            return f"{self.field}: recorded a {self.recorded}, the fake a {self.fake}"
        return f"{self.field}: recorded {_short(self.recorded)}, fake {_short(self.fake)}"


def _short(value: Any, limit: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass(frozen=True)
class Deviation:
    """A reviewed, accepted difference between the real service and the fake."""

    field: str
    reason: str
    request: Optional[str] = None
    cassette: Optional[str] = None

    def matches(self, cassette: str, diff: Difference) -> bool:
        return (
            _glob(self.field, diff.field)
            and (self.request is None or _glob(self.request, diff.request))
            and (
                self.cassette is None
                or _glob(self.cassette, Path(cassette).name)
                or _glob(self.cassette, cassette)
            )
        )


def _glob(pattern: str, text: str) -> bool:
    """``*`` matches any run of characters; everything else (``[0]`` too) is literal.

    Linear, not a regular expression: ``*b*b*b*b*b*b*b*x`` as a backtracking regex took 97 s
    against a long field. The literal pieces between the stars are found left to right, each at
    its first place after the previous one: the first must start the text, the last end it, and
    taking the earliest place for each piece leaves the most room for the rest, so a match is
    found whenever there is one.
    """
    pieces = pattern.split("*")
    if len(pieces) == 1:
        return pattern == text
    head, *middle, tail = pieces
    if len(head) + len(tail) > len(text) or not (text.startswith(head) and text.endswith(tail)):
        return False
    at, end = len(head), len(text) - len(tail)
    for piece in middle:
        if piece:
            found = text.find(piece, at, end)
            if found < 0:
                return False
            at = found + len(piece)
    return True


MAX_DEVIATIONS_FILE = 4 * 1024 * 1024  # bytes; a larger known-deviations file is refused unread


def load_deviations(path: PathLike) -> List[Deviation]:
    """Read a known-deviations file (safe YAML; JSON is YAML too); one-line CassetteError."""
    where = str(path)
    text = read_text(path, MAX_DEVIATIONS_FILE)
    data = parse_yaml(text, where)
    if isinstance(data, dict):
        data = data.get("deviations")
    if data is None:
        return []
    if not isinstance(data, list):
        raise CassetteError(f"{where}: expected a list of deviations under 'deviations'")
    out: List[Deviation] = []
    for i, entry in enumerate(data):
        at = f"{where}: deviations[{i}]"
        if not isinstance(entry, dict):
            raise CassetteError(f"{at}: expected a mapping")
        unknown = set(entry) - {"field", "reason", "request", "cassette"}
        if unknown:
            raise CassetteError(f"{at}: unknown keys {sorted(map(str, unknown))}")
        for key in ("field", "reason"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise CassetteError(f"{at}: '{key}' is required (text)")
        for key in ("request", "cassette"):
            if entry.get(key) is not None and not isinstance(entry[key], str):
                raise CassetteError(f"{at}: '{key}' must be text")
        out.append(
            Deviation(entry["field"], entry["reason"], entry.get("request"), entry.get("cassette"))
        )
    return out


@dataclass(frozen=True)
class Outcome:
    """One side's answer in brief: its status; for a failure, Twilio's error code and message."""

    status: int
    code: Optional[int] = None
    message: Optional[str] = None

    @property
    def succeeded(self) -> bool:
        return self.status < 400

    def __str__(self) -> str:
        if self.succeeded:
            return f"{self.status} (success)"
        code = f" error {self.code}" if self.code is not None else ""
        message = f" ({' '.join(self.message.split())[:160]})" if self.message else ""
        return f"{self.status}{code}{message}"


def _outcome(status: int, body: Any) -> Outcome:
    if status < 400 or not isinstance(body, dict):
        return Outcome(status)
    code = body.get("code")
    message = body.get("message")
    return Outcome(
        status,
        code if isinstance(code, int) and not isinstance(code, bool) else None,
        message if isinstance(message, str) else None,
    )


@dataclass(frozen=True)
class UnmappedId:
    """An id in a recorded request path that is not a SID (``TKXXXX…``, a documentation
    placeholder): verify maps SIDs by reference, so it cannot tell which of the fake's objects
    this one is, and the fake is sent it as it is (and answers 404 for it)."""

    id: str
    resource: str  # "Trunk", "OriginationUrl", ...
    prefix: str  # "TK", "OU", ...
    interactions: Tuple[int, ...]  # 1-based numbers of the interactions whose path holds it

    def describe(self) -> str:
        shown = ", ".join(f"#{i}" for i in self.interactions[:10])
        if len(self.interactions) > 10:
            shown += f" and {len(self.interactions) - 10} more"
        return (
            f"path id {self.id} ({shown}) is not a {self.resource} SID ({self.prefix} + 32 hex "
            "digits): it cannot be mapped to an object of the fake, which answers 404 for it; "
            "use the SID the cassette's create answered (or any well-formed SID it shows)"
        )


AGREES = "agrees"
DIFFERS = "differs"
CONSEQUENCE = "consequence"  # differs only because an earlier interaction failed on one side
KNOWN = "known"  # every difference is a reviewed known deviation


@dataclass
class InteractionResult:
    index: int
    request: str
    recorded_status: int
    fake_status: int
    recorded_code: Optional[int]
    differences: List[Difference] = field(default_factory=list)
    suppressed: List[Tuple[Difference, Deviation]] = field(default_factory=list)
    fake_code: Optional[int] = None
    # the earlier interaction (1-based) whose one-sided failure this interaction's differences
    # follow from (a later request on a trunk whose create failed), or None
    consequence_of: Optional[int] = None
    unmapped_ids: List[str] = field(default_factory=list)  # path ids that are not SIDs

    @property
    def ok(self) -> bool:
        return not self.differences

    @property
    def outcome_differs(self) -> bool:
        """One side succeeded and the other failed (reported as one line, bodies not compared)."""
        return any(d.kind == "outcome" for d in self.differences) or any(
            d.kind == "outcome" for d, _dev in self.suppressed
        )

    @property
    def verdict(self) -> str:
        """``agrees``, ``differs``, ``consequence`` (of ``consequence_of``) or ``known`` (only
        reviewed known deviations)."""
        if self.differences:
            return DIFFERS if self.consequence_of is None else CONSEQUENCE
        return KNOWN if self.suppressed else AGREES


@dataclass
class VerifyResult:
    path: str
    cassette: Cassette
    interactions: List[InteractionResult]
    unmapped: List[UnmappedId] = field(default_factory=list)  # path ids that are not SIDs
    shape: bool = False  # compared keys, types and nesting only (``verify(..., shape=True)``)

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.interactions)

    @property
    def differences(self) -> List[Difference]:
        """Every difference not accepted as a known deviation, consequences included."""
        return [d for r in self.interactions for d in r.differences]

    @property
    def suppressed(self) -> List[Tuple[Difference, Deviation]]:
        return [s for r in self.interactions for s in r.suppressed]

    def count(self, verdict: str) -> int:
        return sum(1 for r in self.interactions if r.verdict == verdict)

    @property
    def agreed(self) -> int:
        """Interactions with no difference at all."""
        return self.count(AGREES)

    @property
    def differed(self) -> int:
        """Interactions with a new difference (not a consequence of an earlier one)."""
        return self.count(DIFFERS)

    @property
    def consequences(self) -> int:
        """Interactions that differ only as a consequence of an earlier one-sided failure."""
        return self.count(CONSEQUENCE)

    @property
    def known(self) -> int:
        """Interactions whose every difference is a reviewed known deviation (skipped)."""
        return self.count(KNOWN)

    @property
    def warnings(self) -> List[str]:
        return [u.describe() for u in self.unmapped]

    def summary(self) -> str:
        """``N interactions: a agree, d differ, c consequences of an earlier failure, k skipped
        as known deviations`` (zero counts left out)."""
        return _summary(
            len(self.interactions), self.agreed, self.differed, self.consequences, self.known
        )

    def report(self, verbose: bool = True) -> str:
        meta = self.cassette.metadata
        mode = "; shape only (keys, types, nesting)" if self.shape else ""
        lines = [
            f"{self.path}: {len(self.interactions)} interactions, source "
            f"{meta.get('source', 'unknown')}, recorded {meta.get('recorded_at', 'unknown')}, "
            f"last verified live {meta.get('last_verified') or 'never'}{mode}"
        ]
        lines.extend(f"  warning: {w}" for w in self.warnings)
        width = max((len(r.request) for r in self.interactions), default=0)
        for r in self.interactions:
            if not verbose and r.ok:
                continue
            code = f" {r.recorded_code}" if r.recorded_code is not None else ""
            head = f"  {r.index:>4}  {r.request:<{width}}  {r.recorded_status}{code:<6} "
            if r.verdict == AGREES:
                lines.append(head + "ok")
            elif r.verdict == KNOWN:
                known = ", ".join(sorted({d.field for d, _dev in r.suppressed}))
                lines.append(head + f"ok ({len(r.suppressed)} known deviation(s): {known})")
            elif r.verdict == CONSEQUENCE:
                names = sorted({d.field for d in r.differences})
                what = (
                    r.differences[0].describe(brief=True)
                    if r.outcome_differs
                    else f"{len(names)} field(s): {', '.join(names[:6])}"
                    + (", ..." if len(names) > 6 else "")
                )
                lines.append(head + f"consequence of #{r.consequence_of}, not new: {what}")
            elif r.outcome_differs:
                hint = " [its path id is not a SID: see the warning]" if r.unmapped_ids else ""
                lines.append(head + "DIFFERS: " + r.differences[0].describe() + hint)
            else:
                lines.append(head + "DIFFERS")
                lines.extend(f"          {d.describe()}" for d in r.differences)
        if not self.ok:
            new = [r for r in self.interactions if r.verdict == DIFFERS] or [
                r for r in self.interactions if not r.ok
            ]
            names = sorted({d.field for r in new for d in r.differences})
            lines.append(
                f"{self.path}: the fake DIFFERS in {self.differed} of {len(self.interactions)} "
                f"interactions ({self.summary()}); fields: {', '.join(names)}"
            )
        elif self.agreed == len(self.interactions):
            lines.append(f"{self.path}: the fake agrees ({len(self.interactions)} interactions)")
        else:
            lines.append(f"{self.path}: the fake agrees ({self.summary()})")
        return "\n".join(lines)


def _summary(total: int, agreed: int, differed: int, consequences: int, known: int) -> str:
    parts = [f"{agreed} agree"]
    if differed:
        parts.append(f"{differed} differ")
    if consequences:
        parts.append(f"{consequences} consequence(s) of an earlier failure")
    if known:
        parts.append(f"{known} skipped as known deviations")
    return f"{total} interactions: " + ", ".join(parts)


def compare(rec: Any, fake: Any, path: str, out: List[Tuple[str, str, Any, Any]]) -> None:
    """Append ``(field, kind, recorded, fake)`` for every difference of two normalised values."""
    if isinstance(rec, dict) and isinstance(fake, dict):
        for key in rec:
            if key not in fake:
                out.append((f"{path}.{key}", "missing", rec[key], None))
        for key in fake:
            if key not in rec:
                out.append((f"{path}.{key}", "extra", None, fake[key]))
        for key in rec:
            if key in fake:
                compare(rec[key], fake[key], f"{path}.{key}", out)
    elif isinstance(rec, list) and isinstance(fake, list):
        if len(rec) != len(fake):
            out.append((f"{path}.length", "value", len(rec), len(fake)))
        for i, (a, b) in enumerate(zip(rec, fake)):
            compare(a, b, f"{path}[{i}]", out)
    elif rec != fake or isinstance(rec, bool) != isinstance(fake, bool):
        out.append((path, "value", rec, fake))


def json_type(value: Any) -> str:
    """The JSON type of a parsed value: null, boolean, number, string, object or array."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return type(value).__name__


def compare_shape(rec: Any, fake: Any, path: str, out: List[Tuple[str, str, Any, Any]]) -> None:
    """Like ``compare``, for keys, JSON types and nesting only: values and list lengths are not
    compared (a documentation example's values and item counts are illustrations; its shape is
    the promise). List items are compared pairwise, as far as both lists go."""
    if isinstance(rec, dict) and isinstance(fake, dict):
        for key in rec:
            if key not in fake:
                out.append((f"{path}.{key}", "missing", json_type(rec[key]), None))
        for key in fake:
            if key not in rec:
                out.append((f"{path}.{key}", "extra", None, json_type(fake[key])))
        for key in rec:
            if key in fake:
                compare_shape(rec[key], fake[key], f"{path}.{key}", out)
    elif isinstance(rec, list) and isinstance(fake, list):
        for i, (a, b) in enumerate(zip(rec, fake)):
            compare_shape(a, b, f"{path}[{i}]", out)
    elif json_type(rec) != json_type(fake):
        out.append((path, "type", json_type(rec), json_type(fake)))


def _translate(text: str, recorded: Labels, fake: Labels) -> str:
    """Recorded SIDs -> the fake's SIDs of the same reference (unknown ones stay as they are)."""

    def sub(match: re.Match[str]) -> str:
        sid = match.group(2)
        label = recorded.label_of.get(sid)
        mapped = fake.sid_of.get(label) if label else None
        return (match.group(1) or "") + (mapped or sid)

    return _SID.sub(sub, text)


def _request_for(it: Interaction, account: str, recorded: Labels, fake: Labels) -> Any:
    from ..core.messages import Request

    original = it.request()
    headers = dict(original.headers)
    headers["authorization"] = basic_header(account, VERIFY_TOKEN)
    return Request(
        method=original.method,
        path=_translate(original.path, recorded, fake),
        query=_translate(original.query, recorded, fake),
        body=stand_in_form(
            _translate(original.body.decode("utf-8", "replace"), recorded, fake)
        ).encode("utf-8"),
        headers=headers,
        base_url=original.base_url,
    )


def _path_ids(path: str) -> List[Tuple[str, Any]]:
    """The ids a request path names, with their resource: ``/v1/Trunks/{id}[/Segment/{id}]``."""
    from ..apis.trunking_v1 import BY_SEGMENT, TRUNK

    parts = path.split("/")
    if len(parts) < 4 or parts[:3] != ["", "v1", "Trunks"] or not parts[3]:
        return []
    found: List[Tuple[str, Any]] = [(parts[3], TRUNK)]
    sub = BY_SEGMENT.get(parts[4]) if len(parts) >= 6 else None
    if sub is not None and sub.key is not None and parts[5]:
        found.append((parts[5], sub))
    return found


def _deviations(known: Union[PathLike, Sequence[Deviation], None]) -> List[Deviation]:
    if known is None:
        return []
    if isinstance(known, (str, Path)):
        return load_deviations(known)
    return list(known)  # type: ignore[arg-type]


def verify(
    path: PathLike,
    known_deviations: Union[PathLike, Sequence[Deviation], None] = None,
    *,
    shape: bool = False,
) -> VerifyResult:
    """Replay the cassette at ``path`` against a fresh fake and diff every answer.

    ``known_deviations``: a file (see the module doc) or ``Deviation`` objects. ``shape=True``
    compares keys, JSON types and nesting only (for cassettes built from documentation
    examples, whose values are illustrations); a cassette whose metadata says ``compare: shape``
    is always compared so. Raises a one-line ``CassetteError`` for a file
    that cannot be read or used; never runs anything from it.

    When one side succeeded and the other failed, that is one difference (field ``status``,
    kind ``outcome``) and the bodies are not compared: field-by-field lines would only restate
    it. The ids that request touched are then unusable on one side, so later differences on
    them are marked ``consequence_of`` it instead of counted as new.
    """
    from ..service import FakeTrunkingService
    from .seed import initial_state, primary_account

    where = str(path)
    cassette = read_cassette(path)
    shape = shape or cassette.metadata.get("compare") == "shape"
    deviations = _deviations(known_deviations)
    fake = FakeTrunkingService(seed=0, max_trunks_per_account=100)
    try:
        fake.load_state(initial_state(cassette))
    except ValueError as exc:
        raise CassetteError(f"{where}: cannot build the state it starts from: {exc}") from None
    default_account = primary_account(cassette)
    rec_labels, fake_labels = Labels(), Labels()
    results: List[InteractionResult] = []
    unmapped: Dict[str, Tuple[str, str, List[int]]] = {}
    broken: Dict[str, int] = {}  # a recorded id -> the interaction whose failure it follows
    for index, it in enumerate(cassette.interactions, start=1):
        ids = _path_ids(it.path)
        bad = [sid for sid, res in ids if not res.valid_sid(sid)]
        for sid, res in ids:
            if sid in bad:
                unmapped.setdefault(sid, (res.name, res.prefix or "", []))[2].append(index)
        # the account that made it: a subaccount the session created has the fake's SID
        caller = _translate(it.account or default_account, rec_labels, fake_labels)
        request = _request_for(it, caller, rec_labels, fake_labels)
        response = fake.handle(request)
        rec_json = _body(it.response_body)
        # secrets are compared as cassettes hold them (``core.redact``: ``<redacted>``)
        fake_json = _body(redact_json(response.body.decode("utf-8", "replace")))
        rec_outcome = _outcome(it.status, rec_json)
        fake_outcome = _outcome(response.status, fake_json)
        found: List[Tuple[str, str, Any, Any]] = []
        if rec_outcome.succeeded != fake_outcome.succeeded:
            found.append(("status", "outcome", rec_outcome, fake_outcome))
            # the object only one side created gets a reference there, and the other side skips
            # it, so the objects after it keep matching references
            for labels, other, body in (
                (rec_labels, fake_labels, rec_json),
                (fake_labels, rec_labels, fake_json),
            ):
                made = body.get("sid") if isinstance(body, dict) else None
                if isinstance(made, str) and _SID.fullmatch(made):
                    labels.text(made)
                    other.skip(labels, made[:2])
        else:
            rec_body = rec_labels.normalise(rec_json)
            fake_body = fake_labels.normalise(fake_json)
            if it.status != response.status:
                found.append(("status", "status", it.status, response.status))
            (compare_shape if shape else compare)(rec_body, fake_body, "body", found)
        shown = f"{it.method} {rec_labels.text(it.path, new=False)}"
        result = InteractionResult(
            index,
            shown,
            it.status,
            response.status,
            rec_outcome.code,
            fake_code=fake_outcome.code,
            unmapped_ids=bad,
        )
        if found:
            named = _SID.findall(f"{it.path}?{it.query} {it.request_body or ''}")
            touched = [sid for _pa, sid in named] + [sid for sid, _res in ids]
            shows = [sid for _pa, sid in _SID.findall(it.response_body)]  # a listed one, too
            causes = [broken[sid] for sid in touched + shows if sid in broken]
            result.consequence_of = min(causes) if causes else None
            if found[0][1] == "outcome":
                # what this one-sided failure leaves unusable: the ids it names or answered
                # that the fake has no object for, and whatever a DELETE named
                root = result.consequence_of or index
                shown_sid = rec_json.get("sid") if isinstance(rec_json, dict) else None
                for sid in touched + ([shown_sid] if isinstance(shown_sid, str) else []):
                    label = rec_labels.label_of.get(sid)
                    if it.method == "DELETE" or not (label and label in fake_labels.sid_of):
                        broken.setdefault(sid, root)
        for name, kind, a, b in found:
            diff = Difference(index, shown, name, kind, a, b)
            accepted = next((d for d in deviations if d.matches(where, diff)), None)
            if accepted is None:
                result.differences.append(diff)
            else:
                result.suppressed.append((diff, accepted))
        results.append(result)
    gaps = [UnmappedId(sid, name, pre, tuple(at)) for sid, (name, pre, at) in unmapped.items()]
    return VerifyResult(where, cassette, results, gaps, shape)


def _body(text: str) -> Any:
    """A body as JSON when it is JSON, else as its text (an empty body is None)."""
    if not text:
        return None
    parsed = parse_json(text)
    return text if parsed is None else parsed


CASSETTE_SUFFIXES = (".yaml", ".yml", ".json")  # what the cassette reader reads (JSON is YAML)
_DEVIATIONS_NAME = re.compile(r"(?:^|[-_.])(?:known[-_.])?deviations\.(?:ya?ml|json)\Z", re.I)


def find_cassettes(paths: Iterable[PathLike]) -> List[Path]:
    """The cassettes named by ``paths``: a file as it is; a folder is every ``*.yaml``,
    ``*.yml`` and ``*.json`` file under it (recursively, sorted, symlinked folders not
    followed, hidden folders skipped), except known-deviations files (``*deviations.yaml``,
    ``known-deviations.json``, ...). A folder with no cassette is a one-line ``CassetteError``
    (verifying nothing proves nothing)."""
    import os

    out: List[Path] = []
    for raw in paths:
        path = Path(raw)
        if not path.is_dir():
            out.append(path)
            continue
        found: List[Path] = []
        for folder, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            found.extend(
                Path(folder, name)
                for name in files
                if name.lower().endswith(CASSETTE_SUFFIXES) and not _DEVIATIONS_NAME.search(name)
            )
        if not found:
            raise CassetteError(
                f"{path}: no cassettes under this folder ({', '.join(CASSETTE_SUFFIXES)})"
            )
        out.extend(sorted(found))
    return out


EXIT_CODES = "exit status: 0 every interaction agrees (known deviations allowed), 1 the fake \
differs (consequences included), 2 a file or folder could not be used (nothing to verify)"


def verify_all(
    paths: Iterable[PathLike],
    known_deviations: Optional[PathLike] = None,
    *,
    verbose: bool = True,
    out: Any = None,
    err: Any = None,
    shape: bool = False,
) -> int:
    """The CLI: verify each cassette (a folder: every cassette under it), print the reports;
    0 all agree, 1 a difference, 2 an error (a file that cannot be used, a folder with no
    cassette, or a cassette with no interactions)."""
    import sys

    stdout = out or sys.stdout
    stderr = err or sys.stderr
    try:
        deviations = load_deviations(known_deviations) if known_deviations is not None else []
    except CassetteError as exc:
        stderr.write(f"fake-trunking verify: error: {exc}\n")
        return 2
    skip = Path(known_deviations).resolve() if known_deviations is not None else None
    status = 0
    used: Set[int] = set()
    done: List[VerifyResult] = []
    files: List[Path] = []
    for given in paths:
        try:
            found = find_cassettes([given])
        except CassetteError as exc:
            stderr.write(f"fake-trunking verify: error: {exc}\n")
            status = 2
            continue
        files.extend(f for f in found if not (Path(given).is_dir() and f.resolve() == skip))
    for path in files:
        try:
            result = verify(path, deviations, shape=shape)
        except CassetteError as exc:
            stderr.write(f"fake-trunking verify: error: {exc}\n")
            status = 2
            continue
        except Exception as exc:  # never a traceback for a file we were given
            text = " ".join(str(exc).split())[:300]
            stderr.write(f"fake-trunking verify: error: {path}: {type(exc).__name__}: {text}\n")
            status = 2
            continue
        if not result.interactions:  # agreeing with nothing proves nothing
            stderr.write(
                f"fake-trunking verify: error: {path}: no interactions to verify; an empty "
                "cassette proves nothing (re-record it, or delete it)\n"
            )
            status = 2
            continue
        stdout.write(result.report(verbose) + "\n")
        done.append(result)
        used.update(id(dev) for _diff, dev in result.suppressed)
        if not result.ok and status == 0:
            status = 1
    if len(done) > 1:
        total = _summary(
            sum(len(r.interactions) for r in done),
            sum(r.agreed for r in done),
            sum(r.differed for r in done),
            sum(r.consequences for r in done),
            sum(r.known for r in done),
        )
        failing = sum(1 for r in done if not r.ok)
        verdict = f"{failing} of {len(done)} cassettes differ" if failing else "all agree"
        stdout.write(f"total: {len(done)} cassettes, {total}; {verdict}\n")
    for dev in deviations:
        if id(dev) not in used:
            stdout.write(
                f"note: known deviation not needed by these cassettes: {dev.field}"
                f"{' (' + dev.request + ')' if dev.request else ''}\n"
            )
    return status


def add_arguments(parser: Any) -> None:
    """The options of ``fake-trunking verify``."""
    parser.epilog = EXIT_CODES
    parser.add_argument(
        "cassettes",
        nargs="+",
        metavar="CASSETTE",
        help="cassette files (YAML/JSON), or folders: every *.yaml, *.yml, *.json under them",
    )
    parser.add_argument(
        "--known-deviations",
        metavar="FILE",
        help="reviewed differences that pass (YAML/JSON: deviations: [{field, reason, ...}])",
    )
    parser.add_argument(
        "--shape",
        action="store_true",
        help="compare keys, JSON types and nesting only, not values "
        "(for cassettes built from documentation examples)",
    )
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="show only the interactions that differ"
    )


def run(args: Any) -> int:
    """``fake-trunking verify``: 0 all agree, 1 a difference, 2 a file could not be used."""
    return verify_all(
        args.cassettes, args.known_deviations, verbose=not args.quiet, shape=args.shape
    )
