"""State and credentials files of server mode: ``StateFile``, ``load_credentials``, their limits.

A state file is the ``fake.dump_state()`` JSON, loaded once at start and saved atomically; a
credentials file is ``{account_sid: auth_token}``. Both are read by ``fileio.read_bounded`` (a
FIFO, a device or anything else that is not a regular file is refused without blocking; a larger
file than the limit is refused unread) and parsed as strict JSON (``NaN``/``Infinity`` refused);
every failure is a one-line message naming the file.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, Protocol, Union

from ..core.fileio import atomic_write, loads_strict, read_bounded, remove_leftovers
from ..core.ids import ACCOUNT_SID

if TYPE_CHECKING:
    from ..service import FakeTrunkingService

MAX_STATE_FILE = 1024 * 1024 * 1024  # bytes; a larger --state file is refused unread
MAX_CREDENTIALS_FILE = 1024 * 1024  # bytes; a larger --credentials file is refused unread

PathLike = Union[str, "os.PathLike[str]"]


class StateFileError(Exception):
    """A state file that cannot be read, parsed, validated or written (one-line message)."""


class StateStore(Protocol):
    """What a server does with its ``--state`` file: a ``StateFile`` (``*.json``, a snapshot
    saved on shutdown) or a ``server.database.StateDatabase`` (every write committed)."""

    path: Path
    loading: bool

    def load_into(self, fake: FakeTrunkingService) -> bool: ...

    def save(self, fake: FakeTrunkingService) -> None: ...


def check_folder(path: Path, kind: str = "state file") -> None:
    """Refuse at start a state path whose folder is missing or not writable (a one-line
    ``StateFileError``), rather than failing at the first save."""
    folder = path.parent
    if not folder.is_dir():
        raise StateFileError(f"cannot use {kind} {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise StateFileError(f"cannot use {kind} {path}: the folder {folder} is not writable")


class StateFile:
    """A JSON state file (the ``fake.dump_state()`` format), loaded once and saved atomically."""

    def __init__(self, path: PathLike) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self.loading = False  # True while ``load_into`` runs

    def _fail(self, what: str, exc: BaseException) -> StateFileError:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        return StateFileError(f"cannot {what} state file {self.path}: {reason}")

    def load_into(self, fake: FakeTrunkingService) -> bool:
        """Load the file into ``fake``; False (nothing loaded) when it does not exist yet.

        Anything else that stops the load raises ``StateFileError``; the fake and the file are
        then unchanged. Temporary files an interrupted save left beside the file are removed
        first. ``loading`` is True while this runs (``fake-trunking serve`` lets a signal stop a
        long load then, and only then).
        """
        self.loading = True
        try:
            check_folder(self.path)
            remove_leftovers(self.path)
            try:
                raw = read_bounded(self.path, MAX_STATE_FILE)
            except FileNotFoundError:
                return False
            except OSError as exc:
                raise self._fail("read", OSError(exc.strerror) if exc.strerror else exc) from None
            try:
                snapshot = parse_json(raw)
                del raw
                if not isinstance(snapshot, dict):
                    raise ValueError("the top level is not a JSON object")
                fake.load_state(snapshot)
            except (ValueError, TypeError, KeyError, RecursionError) as exc:
                raise self._fail("load", exc) from None
            return True
        finally:
            self.loading = False

    def save(self, fake: FakeTrunkingService) -> None:
        """Write ``fake``'s state atomically (``fileio.atomic_write``: through a symlink to its
        target, keeping an existing file's mode; a failed write leaves the old file as it was)."""
        with self._lock:  # dump and write under one lock: a later save never loses to an earlier
            data = json.dumps(fake.dump_state(), separators=(",", ":")) + "\n"
            try:
                atomic_write(self.path, data.encode("utf-8"))
            except OSError as exc:
                raise self._fail("write", exc) from None


def load_credentials(path: PathLike) -> Dict[str, str]:
    """``{account_sid: auth_token}`` from a JSON file; ``StateFileError``-like one-line errors."""
    where = Path(path)
    try:
        data = parse_json(read_bounded(where, MAX_CREDENTIALS_FILE))
    except OSError as exc:
        raise ValueError(f"cannot read credentials file {where}: {exc.strerror or exc}") from None
    except (ValueError, RecursionError) as exc:
        reason = " ".join(str(exc).split())
        raise ValueError(f"cannot load credentials file {where}: {reason}") from None
    if not isinstance(data, dict) or not data:
        raise ValueError(f"credentials file {where}: expected a JSON object {{account_sid: token}}")
    for sid, token in data.items():
        if not ACCOUNT_SID.match(sid):
            raise ValueError(f"credentials file {where}: {sid!r} is not an account SID (AC…)")
        if not isinstance(token, str) or not token:
            raise ValueError(f"credentials file {where}: the token of {sid} is not a string")
    return dict(data)


def parse_json(raw: bytes) -> Any:
    """Strict JSON from UTF-8 bytes (``core.fileio.loads_strict``)."""
    return loads_strict(raw)


__all__ = [
    "MAX_CREDENTIALS_FILE",
    "MAX_STATE_FILE",
    "PathLike",
    "StateFile",
    "StateFileError",
    "StateStore",
    "check_folder",
    "load_credentials",
]
