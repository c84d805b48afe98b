"""The one owner of reading and writing a user's files: state, credentials, cassettes, deviations.

Reading (``read_bounded``): the file is opened without blocking (``O_NONBLOCK``: a FIFO would
otherwise wait forever for a writer, and the process would not even stop on SIGTERM), ``fstat``'d,
and refused unless it is a regular file (a FIFO, a device such as ``/dev/zero``, a socket, a
directory). A regular file larger than the limit is refused unread; the read itself stops one byte
past the limit, so a file that grows meanwhile is refused too. A symlink to a regular file is read.

Writing (``atomic_write``): the bytes go to a temporary file beside the target, are ``fsync``'d,
and replace the target in one ``os.replace``: a reader never sees half a file and a failed write
leaves the previous file as it was. A symlinked path is written through to the file it points at
(the link stays a link). An existing file keeps its mode (a 0644 cassette stays 0644); a new file
gets ``mkstemp``'s 0600 (it may hold state a user did not mean to share).

Temporary files are named ``.<target name>.<pid>.<random>.fake-trunking.tmp``; an interrupted
save (the process killed mid-write) leaves one behind. ``remove_leftovers`` deletes, beside a
target, only files of that exact pattern for that target whose process is gone (or, when the pid
is this process's own, as after a container restart, that no thread of it is writing), and it
runs at every ``atomic_write`` and when a state file is loaded at start. An existing target that
is not a regular file (``/dev/null``, a FIFO) is refused, never replaced.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import stat
import tempfile
import threading
from pathlib import Path
from typing import Any, List, Optional, Set, Union

PathLike = Union[str, "os.PathLike[str]"]

TEMP_SUFFIX = ".fake-trunking.tmp"

_KINDS = (
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a directory"),
)


class FileRefused(OSError):
    """``read_bounded`` will not read the file: not a regular file, or larger than the limit."""


def _size(limit: int) -> str:
    return f"{limit / (1024 * 1024):g} MiB"


def kind_of(mode: int) -> str:
    """What a file of ``st_mode`` ``mode`` that is not a regular file is ("a FIFO", ...)."""
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"


_kind = kind_of


def read_bounded(path: PathLike, limit: int) -> bytes:
    """The bytes of the regular file at ``path``, at most ``limit`` of them.

    Raises ``FileNotFoundError`` when there is no such file, ``FileRefused`` (an ``OSError``)
    with a one-line reason (the caller names the file) when it is not a regular file ("not a
    regular file (a FIFO); refused") or larger than ``limit`` ("larger than 1 MiB; refused"),
    and ``OSError`` when it cannot be read.
    Never blocks on a FIFO and never reads more than ``limit + 1`` bytes.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    flags |= getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(os.fspath(path), flags)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = _kind(info.st_mode)
            if kind == "not a regular file":
                raise FileRefused("not a regular file; refused")
            raise FileRefused(f"not a regular file ({kind}); refused")
        if info.st_size > limit:
            raise FileRefused(f"larger than {_size(limit)}; refused")
        fh = os.fdopen(fd, "rb", buffering=0)
    except BaseException:
        os.close(fd)
        raise
    chunks: List[bytes] = []
    total = 0
    with fh:
        while total <= limit:
            chunk = fh.read(min(limit + 1 - total, 1024 * 1024))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    if total > limit:
        raise FileRefused(f"larger than {_size(limit)}; refused")
    return b"".join(chunks)


def target_of(path: PathLike) -> Path:
    """The file a write to ``path`` lands in: ``path`` itself, or what its symlinks point at."""
    return Path(os.path.realpath(os.fspath(path)))


_NAME_KEPT = 160  # characters of the target's name in a temporary name (NAME_MAX is 255 bytes)
_in_flight: Set[str] = set()  # temporary files this process is writing now
_in_flight_lock = threading.Lock()


def _temp_prefix(target: Path) -> str:
    return f".{target.name[:_NAME_KEPT]}."


def _temp_pattern(target: Path) -> re.Pattern[str]:
    prefix, suffix = re.escape(_temp_prefix(target)), re.escape(TEMP_SUFFIX)
    return re.compile(prefix + r"([0-9]{1,10})\.[A-Za-z0-9_]{1,32}" + suffix)


def _gone(pid: int, path: str) -> bool:
    """True when the process that wrote ``path`` no longer writes it."""
    if pid == os.getpid():  # this process: in flight unless no thread writes it now (a
        return path not in _in_flight  # restarted container gets the same pid back)
    if os.name == "nt":
        return False  # os.kill(pid, 0) would terminate the process there
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except (OSError, OverflowError, ValueError):
        return False  # it exists but is not ours (EPERM), or not a usable pid: leave it
    return False


def remove_leftovers(path: PathLike) -> List[Path]:
    """Delete the temporary files interrupted saves of ``path`` left beside its target.

    Only names of our own pattern for that target (``.<name>.<pid>.<random>.fake-trunking.tmp``)
    whose writing process no longer runs (or, for this process, that no thread writes now); a
    save in flight is left alone. Returns what was removed; never raises (best effort).
    """
    target = target_of(path)
    pattern = _temp_pattern(target)
    removed: List[Path] = []
    try:
        names = os.listdir(target.parent)
    except OSError:
        return removed
    with _in_flight_lock:
        for name in names:
            match = pattern.fullmatch(name)
            leftover = target.parent / name
            if match is None or not _gone(int(match.group(1)), str(leftover)):
                continue
            with contextlib.suppress(OSError):
                if stat.S_ISREG(os.lstat(leftover).st_mode):
                    os.unlink(leftover)
                    removed.append(leftover)
    return removed


def atomic_write(path: PathLike, data: bytes, *, make_parents: bool = False) -> Path:
    """Write ``data`` to ``path`` atomically; returns ``path`` (as a ``Path``).

    Through a symlink to its target; an existing file keeps its mode, a new one is 0600;
    ``fsync``'d before the replace. An existing target that is not a regular file (a FIFO, a
    device such as ``/dev/null``, a directory) is refused (``FileRefused``), never replaced.
    Raises ``OSError`` (the previous file is then untouched and the temporary file removed).
    Leftovers of interrupted saves of the same target are removed first.
    """
    target = target_of(path)
    if make_parents:
        target.parent.mkdir(parents=True, exist_ok=True)
    mode: Optional[int] = None
    try:
        info = os.stat(target)
    except FileNotFoundError:
        pass
    else:
        if not stat.S_ISREG(info.st_mode):
            raise FileRefused(f"not a regular file ({_kind(info.st_mode)}); refused")
        mode = stat.S_IMODE(info.st_mode)
    remove_leftovers(target)
    with _in_flight_lock:
        fd, tmp = tempfile.mkstemp(
            prefix=f"{_temp_prefix(target)}{os.getpid()}.", suffix=TEMP_SUFFIX, dir=target.parent
        )
        _in_flight.add(tmp)
    done = False
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            if mode is not None and hasattr(os, "fchmod"):
                os.fchmod(fh.fileno(), mode)
            os.fsync(fh.fileno())
        if mode is not None and not hasattr(os, "fchmod"):
            os.chmod(tmp, mode)
        os.replace(tmp, target)
        done = True
    finally:
        if not done:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        with _in_flight_lock:
            _in_flight.discard(tmp)
    _sync_folder(target.parent)
    return Path(path)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (best effort; not possible on every platform)."""
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def loads_strict(text: Union[str, bytes]) -> Any:
    """JSON as the standard says it: ``NaN``, ``Infinity`` and ``-Infinity`` (which Python's
    ``json`` accepts) are a ValueError; bytes must be UTF-8. The one JSON reader for the files and
    bodies the fake loads (state and credentials files, admin bodies, cassette bodies)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    return json.loads(text, parse_constant=_no_constant)


__all__ = [
    "TEMP_SUFFIX",
    "FileRefused",
    "PathLike",
    "atomic_write",
    "kind_of",
    "loads_strict",
    "read_bounded",
    "remove_leftovers",
    "target_of",
]
