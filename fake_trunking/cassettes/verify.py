"""``verify``: replay a cassette's requests against a fresh fake and diff every answer.

The fake starts from the state the cassette shows existed before its first request
(``seed.initial_state``: the registry objects it associated, trunks it used but did not create).
Then each recorded request is sent, in order, through ``FakeTrunkingService.handle`` and its answer
is compared with the recorded one: the HTTP status, and the JSON body field by field (the set of
fields, then each value), so an error's ``code`` and ``message`` are compared too.

Normalisation, LocalStack-style: each side's SIDs are replaced by reference, per prefix in order of
first appearance (the first ``TK`` either side shows is ``<TK:1>``; keys are walked in sorted
order, so key order never matters), also inside URLs and page tokens; ISO dates become ``<date>``
(RFC 2822 ones ``<date:rfc2822>``, so a format change still shows); request ids ``<request-id>``.
A recorded request that names a SID is sent with the fake's SID of the same reference.

Known deviations are reviewed differences that pass: a YAML or JSON file ::

    deviations:
      - field: body.message          # the difference's field; * matches anything
        request: "POST /v1/Trunks"   # optional: METHOD and normalised path, * allowed
        cassette: "*.yaml"           # optional: the cassette's file name or path, * allowed
        reason: "Twilio words this error differently"   # required
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Set, Tuple, Union

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
    kind: str  # "status", "missing" (from the fake), "extra" (only the fake has it), "value"
    recorded: Any = None
    fake: Any = None

    def describe(self) -> str:
        if self.kind == "missing":
            return f"{self.field}: recorded {self.recorded!r}, missing from the fake's answer"
        if self.kind == "extra":
            return f"{self.field}: not recorded, the fake answers {self.fake!r}"
        return f"{self.field}: recorded {self.recorded!r}, fake {self.fake!r}"


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


@dataclass
class InteractionResult:
    index: int
    request: str
    recorded_status: int
    fake_status: int
    recorded_code: Optional[int]
    differences: List[Difference] = field(default_factory=list)
    suppressed: List[Tuple[Difference, Deviation]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences


@dataclass
class VerifyResult:
    path: str
    cassette: Cassette
    interactions: List[InteractionResult]

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.interactions)

    @property
    def differences(self) -> List[Difference]:
        return [d for r in self.interactions for d in r.differences]

    @property
    def suppressed(self) -> List[Tuple[Difference, Deviation]]:
        return [s for r in self.interactions for s in r.suppressed]

    def report(self, verbose: bool = True) -> str:
        meta = self.cassette.metadata
        lines = [
            f"{self.path}: {len(self.interactions)} interactions, source "
            f"{meta.get('source', 'unknown')}, recorded {meta.get('recorded_at', 'unknown')}, "
            f"last verified live {meta.get('last_verified') or 'never'}"
        ]
        width = max((len(r.request) for r in self.interactions), default=0)
        for r in self.interactions:
            if not verbose and r.ok:
                continue
            code = f" {r.recorded_code}" if r.recorded_code is not None else ""
            verdict = "ok" if r.ok else "DIFFERS"
            if r.ok and r.suppressed:
                verdict = f"ok ({len(r.suppressed)} known deviation(s))"
            lines.append(
                f"  {r.index:>4}  {r.request:<{width}}  {r.recorded_status}{code:<6} {verdict}"
            )
            lines.extend(f"          {d.describe()}" for d in r.differences)
        differing = [r for r in self.interactions if not r.ok]
        if differing:
            names = sorted({d.field for r in differing for d in r.differences})
            lines.append(
                f"{self.path}: the fake DIFFERS in {len(differing)} of {len(self.interactions)} "
                f"interactions; fields: {', '.join(names)}"
            )
        else:
            known = len(self.suppressed)
            extra = f", {known} known deviation(s)" if known else ""
            lines.append(
                f"{self.path}: the fake agrees ({len(self.interactions)} interactions{extra})"
            )
        return "\n".join(lines)


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


def _translate(text: str, recorded: Labels, fake: Labels) -> str:
    """Recorded SIDs -> the fake's SIDs of the same reference (unknown ones stay as they are)."""

    def sub(match: re.Match[str]) -> str:
        sid = match.group(2)
        label = recorded.label_of.get(sid)
        mapped = fake.sid_of.get(label) if label else None
        return (match.group(1) or "") + (mapped or sid)

    return _SID.sub(sub, text)


def _request_for(it: Interaction, account: str, recorded: Labels, fake: Labels) -> Any:
    from ..handler import Request

    original = it.request()
    headers = dict(original.headers)
    token = base64.b64encode(f"{account}:{VERIFY_TOKEN}".encode()).decode()
    headers["authorization"] = f"Basic {token}"
    return Request(
        method=original.method,
        path=_translate(original.path, recorded, fake),
        query=_translate(original.query, recorded, fake),
        body=_translate(original.body.decode("utf-8", "replace"), recorded, fake).encode("utf-8"),
        headers=headers,
        base_url=original.base_url,
    )


def verify(
    path: PathLike,
    known_deviations: Union[PathLike, Sequence[Deviation], None] = None,
) -> VerifyResult:
    """Replay the cassette at ``path`` against a fresh fake and diff every answer.

    ``known_deviations``: a file (see the module doc) or ``Deviation`` objects. Raises a one-line
    ``CassetteError`` for a file that cannot be read or used; never runs anything from it.
    """
    from ..service import FakeTrunkingService
    from .seed import initial_state, primary_account

    where = str(path)
    cassette = read_cassette(path)
    deviations: List[Deviation]
    if known_deviations is None:
        deviations = []
    elif isinstance(known_deviations, (str, Path)):
        deviations = load_deviations(known_deviations)
    else:
        deviations = list(known_deviations)  # type: ignore[arg-type]
    fake = FakeTrunkingService(seed=0, max_trunks_per_account=100)
    try:
        fake.load_state(initial_state(cassette))
    except ValueError as exc:
        raise CassetteError(f"{where}: cannot build the state it starts from: {exc}") from None
    default_account = primary_account(cassette)
    rec_labels, fake_labels = Labels(), Labels()
    results: List[InteractionResult] = []
    for index, it in enumerate(cassette.interactions, start=1):
        request = _request_for(it, it.account or default_account, rec_labels, fake_labels)
        response = fake.handle(request)
        rec_body = rec_labels.normalise(_body(it.response_body))
        fake_body = fake_labels.normalise(_body(response.body.decode("utf-8", "replace")))
        found: List[Tuple[str, str, Any, Any]] = []
        if it.status != response.status:
            found.append(("status", "status", it.status, response.status))
        compare(rec_body, fake_body, "body", found)
        shown = f"{it.method} {rec_labels.text(it.path, new=False)}"
        code = parse_json(it.response_body)
        result = InteractionResult(
            index,
            shown,
            it.status,
            response.status,
            code.get("code") if isinstance(code, dict) and it.status >= 400 else None,
        )
        for name, kind, a, b in found:
            diff = Difference(index, shown, name, kind, a, b)
            accepted = next((d for d in deviations if d.matches(where, diff)), None)
            if accepted is None:
                result.differences.append(diff)
            else:
                result.suppressed.append((diff, accepted))
        results.append(result)
    return VerifyResult(where, cassette, results)


def _body(text: str) -> Any:
    """A body as JSON when it is JSON, else as its text (an empty body is None)."""
    if not text:
        return None
    parsed = parse_json(text)
    return text if parsed is None else parsed


def verify_all(
    paths: Iterable[PathLike],
    known_deviations: Optional[PathLike] = None,
    *,
    verbose: bool = True,
    out: Any = None,
    err: Any = None,
) -> int:
    """The CLI: verify each cassette, print the reports; 0 all agree, 1 a difference, 2 an error
    (a file that cannot be used, or a cassette with no interactions)."""
    import sys

    stdout = out or sys.stdout
    stderr = err or sys.stderr
    try:
        deviations = load_deviations(known_deviations) if known_deviations is not None else []
    except CassetteError as exc:
        stderr.write(f"fake-trunking verify: error: {exc}\n")
        return 2
    status = 0
    used: Set[int] = set()
    for path in paths:
        try:
            result = verify(path, deviations)
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
        used.update(id(dev) for _diff, dev in result.suppressed)
        if not result.ok and status == 0:
            status = 1
    for dev in deviations:
        if id(dev) not in used:
            stdout.write(
                f"note: known deviation not needed by these cassettes: {dev.field}"
                f"{' (' + dev.request + ')' if dev.request else ''}\n"
            )
    return status


def add_arguments(parser: Any) -> None:
    """The options of ``fake-trunking verify``."""
    parser.add_argument("cassettes", nargs="+", metavar="CASSETTE", help="cassette files (YAML)")
    parser.add_argument(
        "--known-deviations",
        metavar="FILE",
        help="reviewed differences that pass (YAML/JSON: deviations: [{field, reason, ...}])",
    )
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="show only the interactions that differ"
    )


def run(args: Any) -> int:
    """``fake-trunking verify``: 0 all agree, 1 a difference, 2 a file could not be used."""
    return verify_all(args.cassettes, args.known_deviations, verbose=not args.quiet)
