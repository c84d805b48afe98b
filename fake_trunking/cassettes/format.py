"""The cassette file: vcrpy's YAML format, read safely and written atomically.

A cassette is what vcrpy writes (``version: 1`` and ``interactions``: ``request`` with ``method``,
``uri``, ``body``, ``headers``; ``response`` with ``status``, ``headers``, ``body.string``), so
vcrpy alone can replay it. Our own facts go where vcrpy keeps and ignores them: ``metadata``
(``source`` ``live``/``fake``, ``recorded_at``, versions, ``last_verified``) and, per interaction,
``account`` (the scrubbed account that made the request; vcrpy reads only ``request`` and
``response``). Bodies are stored as readable text (literal blocks), never ``!!binary``.

Reading uses ``yaml.CSafeLoader`` (or ``SafeLoader``) only: a ``!!python/...`` tag is refused, and
every problem (bad YAML, wrong shape, too big, not UTF-8) is a one-line ``CassetteError``.
Writing serialises first, runs the leak check on the exact text, then writes a temporary file in
the same folder and ``os.replace``s it: a reader never sees half a cassette, and a refused or failed
write leaves any previous file as it was. Reading and writing go through ``fake_trunking.fileio``
(a FIFO or device is refused without blocking; a symlinked cassette is written through to its
target; an existing cassette keeps its mode).

``yaml`` is imported on first use, never by ``import fake_trunking``.
"""

from __future__ import annotations

import gc
import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple, Union
from urllib.parse import urlsplit

from ..core.errors import TwilioError
from ..core.fileio import FileRefused, atomic_write, loads_strict, read_bounded
from ..core.messages import Request

FORMAT_VERSION = 1  # vcrpy's CASSETTE_FORMAT_VERSION
MAX_BYTES = 128 * 1024 * 1024  # a cassette bigger than this is refused unread

PathLike = Union[str, "os.PathLike[str]"]
Headers = Dict[str, List[str]]


class CassetteError(ValueError):
    """A cassette could not be read, written, matched or used; the message is one line."""


class LeakError(CassetteError):
    """A cassette still holds a secret after scrubbing; nothing was written."""


@dataclass
class Interaction:
    """One request and the response it got, as text."""

    method: str
    uri: str  # absolute: scheme://host/path?query
    request_headers: Headers = field(default_factory=dict)
    request_body: Optional[str] = None  # None when the request had no body
    status: int = 200
    reason: str = "OK"
    response_headers: Headers = field(default_factory=dict)
    response_body: str = ""
    account: Optional[str] = None  # the account SID that made the request (scrubbed)

    @property
    def path(self) -> str:
        return urlsplit(self.uri).path

    @property
    def query(self) -> str:
        return urlsplit(self.uri).query

    def request(self) -> Request:
        """The recorded request as the handler's ``Request`` (header names lower-cased)."""
        parts = urlsplit(self.uri)
        return Request(
            method=self.method,
            path=parts.path,
            query=parts.query,
            body=(self.request_body or "").encode("utf-8"),
            headers={k.lower(): v[0] for k, v in self.request_headers.items() if v},
            base_url=f"{parts.scheme}://{parts.netloc}",
        )

    def form(self) -> Dict[str, str]:
        """The request's form parameters, read as the fake reads them (empty if not a form)."""
        return form_of(self.request())

    def json(self) -> Any:
        """The response body parsed as JSON, or None (empty, not JSON, or absurdly nested)."""
        return parse_json(self.response_body)


@dataclass
class Cassette:
    interactions: List[Interaction] = field(default_factory=list)
    metadata: Dict[str, Any] = field(default_factory=dict)

    @property
    def accounts(self) -> List[str]:
        """The accounts that made requests, in order of first appearance."""
        seen: Dict[str, None] = {}
        for it in self.interactions:
            if it.account:
                seen.setdefault(it.account, None)
        return list(seen)


# -- helpers shared by replay, verify and seed ------------------------------------------------


def form_of(request: Request) -> Dict[str, str]:
    """``request.form()``, or {} when the body is not a UTF-8 form."""
    try:
        return request.form()
    except TwilioError:
        return {}


MAX_JSON_DEPTH = 64


def parse_json(text: Optional[str]) -> Any:
    """``text`` as JSON, or None when it is empty, not JSON (``NaN`` and ``Infinity`` are not),
    or nested deeper than 64."""
    if not text:
        return None
    try:
        value = loads_strict(text)
    except (ValueError, RecursionError):
        return None
    stack: List[Tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return None
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return value


def body_text(value: Any) -> Optional[str]:
    """A body (bytes or text) as text; a body that is not UTF-8 is refused (one line)."""
    if value is None:
        return None
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            raise CassetteError("a body is not UTF-8 text; cassettes store text only") from None
    return str(value)


def metadata(source: str, *, last_verified: Optional[str] = None) -> Dict[str, Any]:
    """The ``metadata`` block of a cassette we write (``source`` is ``live`` or ``fake``)."""
    from importlib import metadata as importlib_metadata

    from .._version import __version__

    try:
        twilio_version: Optional[str] = importlib_metadata.version("twilio")
    except importlib_metadata.PackageNotFoundError:
        twilio_version = None
    now = datetime.now(timezone.utc).replace(microsecond=0)
    return {
        "source": source,
        "recorded_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "twilio": twilio_version,
        "fake_trunking": __version__,
        "last_verified": last_verified,  # the date it last matched the real service
    }


# -- to and from vcrpy's data shape ---------------------------------------------------------


def to_data(cassette: Cassette) -> Dict[str, Any]:
    """The cassette as vcrpy's dict (``version``, ``interactions``, then our ``metadata``)."""
    interactions = []
    for it in cassette.interactions:
        entry: Dict[str, Any] = {
            "request": {
                "method": it.method,
                "uri": it.uri,
                "body": None if it.request_body is None else _Block(it.request_body),
                "headers": {k: list(v) for k, v in it.request_headers.items()},
            },
            "response": {
                "status": {"code": it.status, "message": it.reason},
                "headers": {k: list(v) for k, v in it.response_headers.items()},
                "body": {"string": _Block(it.response_body)},
            },
        }
        if it.account is not None:
            entry["account"] = it.account
        interactions.append(entry)
    data: Dict[str, Any] = {"version": FORMAT_VERSION, "interactions": interactions}
    if cassette.metadata:
        data["metadata"] = dict(cassette.metadata)
    return data


def from_data(data: Any, where: str = "cassette") -> Cassette:
    """Validate vcrpy-shaped data into a ``Cassette``; a bad shape is a one-line CassetteError."""
    if not isinstance(data, dict):
        raise CassetteError(f"{where}: not a cassette (expected a mapping with 'interactions')")
    if data.get("version") != FORMAT_VERSION:
        raise CassetteError(
            f"{where}: version must be {FORMAT_VERSION}, not {data.get('version')!r}"
        )
    raw = data.get("interactions")
    if not isinstance(raw, list):
        raise CassetteError(f"{where}: 'interactions' must be a list")
    metadata = data.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise CassetteError(f"{where}: 'metadata' must be a mapping")
    return Cassette(
        [_interaction(item, f"{where}: interactions[{i}]") for i, item in enumerate(raw)], metadata
    )


def _interaction(item: Any, where: str) -> Interaction:
    req = _mapping(item, where)
    request = _mapping(req.get("request"), f"{where}.request")
    response = _mapping(req.get("response"), f"{where}.response")
    method = _text(request.get("method"), f"{where}.request.method").upper()
    uri = _text(request.get("uri"), f"{where}.request.uri")
    parts = urlsplit(uri)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise CassetteError(f"{where}.request.uri: not an absolute http(s) URL")
    status_raw = _mapping(response.get("status"), f"{where}.response.status")
    status = status_raw.get("code")
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise CassetteError(f"{where}.response.status.code: not an HTTP status")
    reason = status_raw.get("message", "")
    if not isinstance(reason, str):
        raise CassetteError(f"{where}.response.status.message: not text")
    body = _mapping(response.get("body"), f"{where}.response.body")
    account = req.get("account")
    if account is not None and not isinstance(account, str):
        raise CassetteError(f"{where}.account: not text")
    return Interaction(
        method=method,
        uri=uri,
        request_headers=_headers(request.get("headers"), f"{where}.request.headers"),
        request_body=_body(request.get("body"), f"{where}.request.body"),
        status=status,
        reason=reason,
        response_headers=_headers(response.get("headers"), f"{where}.response.headers"),
        response_body=_body(body.get("string"), f"{where}.response.body.string") or "",
        account=account,
    )


def _mapping(value: Any, where: str) -> Dict[str, Any]:
    if not isinstance(value, dict):
        raise CassetteError(f"{where}: expected a mapping")
    return value


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise CassetteError(f"{where}: expected text")
    return value


def _body(value: Any, where: str) -> Optional[str]:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bytes):  # a vcrpy cassette may hold !!binary bodies
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            raise CassetteError(f"{where}: a binary body that is not UTF-8 text") from None
    raise CassetteError(f"{where}: expected text or null")


def _headers(value: Any, where: str) -> Headers:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise CassetteError(f"{where}: expected a mapping")
    out: Headers = {}
    for key, raw in value.items():
        if not isinstance(key, str):
            raise CassetteError(f"{where}: a header name that is not text")
        values = raw if isinstance(raw, list) else [raw]
        if not all(isinstance(v, str) for v in values):
            raise CassetteError(f"{where}.{key}: header values must be text")
        out[key] = list(values)
    return out


# -- YAML ------------------------------------------------------------------------------------


class _Block(str):
    """A body: emitted as a literal block when YAML allows it, so it reads as plain text."""


def _yaml() -> Tuple[Any, Any, Any]:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    base_dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml, loader, base_dumper


_dumper_cache: List[Any] = []


def _dumper() -> Any:
    if not _dumper_cache:
        _yaml_module, _loader, base = _yaml()

        class Dumper(base):  # type: ignore[misc, valid-type]
            def ignore_aliases(self, data: Any) -> bool:
                return True

        def block(dumper: Any, data: str) -> Any:
            style = "|" if len(data) > 60 or "\n" in data else None
            return dumper.represent_scalar("tag:yaml.org,2002:str", str(data), style=style)

        Dumper.add_representer(_Block, block)
        _dumper_cache.append(Dumper)
    return _dumper_cache[0]


def dumps(cassette: Cassette) -> str:
    """The cassette as YAML text (what ``write_cassette`` writes)."""
    yaml, _loader, _base = _yaml()
    text: str = yaml.dump(
        to_data(cassette),
        Dumper=_dumper(),
        sort_keys=False,
        allow_unicode=True,
        width=1_000_000,
        default_flow_style=False,
    )
    return text


def _weight(value: Any) -> int:
    return len(value) if isinstance(value, (str, bytes)) else 1


def check_expansion(data: Any, where: str, budget: int) -> None:
    """Refuse YAML whose aliases expand it past ``budget`` (nodes plus text characters: a
    "billion laughs", or one long text referred to many times), or that refers to itself. A
    document without aliases weighs about its own length. Linear in the number of distinct
    nodes; raises a one-line ``CassetteError``."""
    sizes: Dict[int, int] = {}
    open_nodes: Dict[int, None] = {}
    stack: List[Tuple[Any, bool]] = [(data, False)]
    while stack:
        node, finished = stack.pop()
        if not isinstance(node, (dict, list)):
            continue
        key = id(node)
        children = list(node.values()) if isinstance(node, dict) else node
        if finished:
            del open_nodes[key]
            total = 1 + sum(sizes.get(id(c)) or _weight(c) for c in children)
            if isinstance(node, dict):
                total += sum(_weight(k) for k in node)
            if total > budget:
                raise CassetteError(f"{where}: refused: its aliases expand it past its size")
            sizes[key] = total
        elif key in open_nodes:
            raise CassetteError(f"{where}: refused: a structure that contains itself")
        elif key not in sizes:
            open_nodes[key] = None
            stack.append((node, True))
            stack.extend((c, False) for c in children)


_FLOW = re.compile(r"[^\[\]{}]+")
_DEEP = 500  # flow nesting beyond which only the pure-Python parser is trusted


def _deeply_nested(text: str) -> bool:
    """True when flow brackets may nest past ``_DEEP``: some libyaml builds (PyYAML's wheels for
    older Pythons) recurse in C without a limit and crash the process on such input, where the
    pure-Python parser stops at Python's recursion limit. Cheap: ordinary cassettes have few
    brackets outside their bodies, and the count stops at the first safe answer."""
    if text.count("[") + text.count("{") <= _DEEP:
        return False
    depth = 0
    for char in _FLOW.sub("", text):
        depth = depth + 1 if char in "[{" else max(depth - 1, 0)
        if depth > _DEEP:
            return True
    return False


def loads(text: str, where: str = "cassette") -> Cassette:
    """Parse cassette YAML safely; any problem is a one-line ``CassetteError``."""
    return from_data(parse_yaml(text, where), where)


def parse_yaml(text: str, where: str) -> Any:
    """Plain data from YAML text: safe loading only, aliases bounded, any problem one line."""
    yaml, loader, _base = _yaml()
    if _deeply_nested(text):
        loader = yaml.SafeLoader
    collecting = gc.isenabled()
    gc.disable()  # the parser makes many objects and no garbage: collections cost O(n^2)
    try:
        data = yaml.load(text, Loader=loader)
    except yaml.constructor.ConstructorError as exc:
        tag = getattr(exc, "problem", "") or "an unsupported YAML tag"
        raise CassetteError(
            f"{where}: refused: {_one_line(tag)} (only plain YAML is read)"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise CassetteError(f"{where}: not valid YAML{at}: {_one_line(str(problem))}") from None
    except (RecursionError, MemoryError):
        raise CassetteError(
            f"{where}: not a usable cassette (nested too deeply or too big)"
        ) from None
    finally:
        if collecting:
            gc.enable()
    check_expansion(data, where, 2 * len(text) + 1000)
    return data


def read_cassette(path: PathLike) -> Cassette:
    """Read and validate the cassette at ``path`` (one-line ``CassetteError`` on any problem)."""
    where = str(path)
    return loads(read_text(path, MAX_BYTES, "no such cassette"), where)


def read_text(path: PathLike, limit: int, missing: str = "no such file") -> str:
    """The UTF-8 text of a cassette-like file (``fileio.read_bounded``: regular files only, at
    most ``limit`` bytes); every problem is a one-line ``CassetteError`` naming the file."""
    where = str(path)
    try:
        raw = read_bounded(path, limit)
    except FileNotFoundError:
        raise CassetteError(f"{where}: {missing}") from None
    except FileRefused as exc:
        raise CassetteError(f"{where}: {exc}") from None
    except OSError as exc:
        raise CassetteError(f"{where}: cannot read: {exc.strerror or exc}") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise CassetteError(f"{where}: not UTF-8 text") from None


def write_text_atomically(path: PathLike, text: str) -> Path:
    """Write ``text`` to ``path`` with ``fileio.atomic_write`` (through a symlink to its target,
    an existing file's mode kept, folders made as needed).

    A failure (read-only folder, disk full) raises a one-line ``CassetteError`` and leaves the
    previous file, if any, untouched; the temporary file is removed.
    """
    try:
        return atomic_write(path, text.encode("utf-8"), make_parents=True)
    except OSError as exc:
        raise CassetteError(f"{path}: cannot write: {exc.strerror or exc}") from None


def _one_line(text: str) -> str:
    return " ".join(text.split())
