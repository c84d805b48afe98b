"""Special files, symlinks, modes, leftovers and absurd state files (issue 12, items 5 and 8).

Every file the fake reads (state, credentials, cassette, known deviations) is opened without
blocking and refused in one line unless it is a regular file: a FIFO no longer hangs (nor a
``serve`` that then ignored SIGTERM) and ``/dev/zero`` is not read at all. Writes go through a
symlink to its target, keep an existing file's mode, and the temporary file an interrupted save
leaves is removed at the next start or save. A state file whose shape is absurd for its size is
refused before anything is built, a long load stops on SIGTERM, and ``"version": true`` is not 1.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
import threading
import time
import tracemalloc
from pathlib import Path
from typing import Any, Callable, Iterator, List

import pytest

from fake_trunking import FakeTrunkingService
from fake_trunking.cassettes import CassetteError, read_cassette
from fake_trunking.cassettes.verify import load_deviations
from fake_trunking.server.files import StateFile, StateFileError, load_credentials

from .helpers import spawn

ACCOUNT = "AC" + "1" * 32
AUTH = {"authorization": "Basic " + "QUMxMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTE6dG9rZW4="}

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX FIFOs")


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[Path]:
    """A FIFO nobody writes to; whatever still waits on it is released at teardown."""
    path = tmp_path / "pipe"
    os.mkfifo(path)
    yield path
    for _ in range(20):  # old code: a reader blocked in open(); a non-blocking writer frees it
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            break


def finishes(call: Callable[[], Any], within: float = 5.0) -> BaseException:
    """Run ``call`` in a thread; the exception it raised. Fails if it hangs or succeeds."""
    caught: List[BaseException] = []

    def run() -> None:
        try:
            call()
        except BaseException as exc:  # handed to the test
            caught.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    started = time.monotonic()
    worker.start()
    worker.join(within)
    assert not worker.is_alive(), f"still blocked after {within} s"
    assert caught, "the special file was accepted"
    assert time.monotonic() - started < within
    return caught[0]


def one_line(exc: BaseException, path: Path, kind: str) -> str:
    message = str(exc)
    assert "\n" not in message and str(path) in message, message
    assert f"not a regular file ({kind})" in message, message
    return message


READERS = {
    "state": lambda p: StateFile(p).load_into(FakeTrunkingService()),
    "credentials": load_credentials,
    "cassette": read_cassette,
    "deviations": load_deviations,
}
ERRORS = {
    "state": StateFileError,
    "credentials": ValueError,
    "cassette": CassetteError,
    "deviations": CassetteError,
}


@pytest.mark.parametrize("kind", sorted(READERS))
def test_a_fifo_is_refused_at_once_for_every_kind_of_file(fifo: Path, kind: str) -> None:
    exc = finishes(lambda: READERS[kind](fifo))
    assert isinstance(exc, ERRORS[kind])
    one_line(exc, fifo, "a FIFO")


def test_the_serve_command_refuses_a_fifo_as_state_or_credentials(fifo: Path) -> None:
    for option in ("--state", "--credentials"):
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "fake_trunking", "serve", "--port", "0", option, str(fifo)],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert time.monotonic() - started < 20
        assert done.returncode == 1 and done.stdout == ""
        lines = done.stderr.splitlines()
        assert len(lines) == 1 and str(fifo) in lines[0] and "a FIFO" in lines[0], done.stderr


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_dev_zero_is_refused_without_reading_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from fake_trunking.core import fileio
    from fake_trunking.server import files as statefile

    zero = Path("/dev/zero")
    monkeypatch.setattr(statefile, "MAX_STATE_FILE", 1024 * 1024)  # the old code read that deep
    for kind, read in READERS.items():
        exc = finishes(lambda read=read: read(zero))  # type: ignore[misc]
        assert isinstance(exc, ERRORS[kind])
        one_line(exc, zero, "a character device")
    tracemalloc.start()
    try:
        with pytest.raises(fileio.FileRefused, match="a character device"):
            fileio.read_bounded(zero, 1024 * 1024 * 1024)
        _size, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1024 * 1024  # refused after fstat: not one block of zeros was read


def test_a_directory_is_refused_in_one_line(tmp_path: Path) -> None:
    exc = finishes(lambda: read_cassette(tmp_path))
    one_line(exc, tmp_path, "a directory")


def state_with_one_trunk() -> FakeTrunkingService:
    fake = FakeTrunkingService(seed=1)
    fake.seed_trunks(ACCOUNT, 1)
    return fake


def test_a_symlinked_state_file_is_written_through_to_its_target(tmp_path: Path) -> None:
    real = tmp_path / "real" / "state.json"
    real.parent.mkdir()
    real.write_text("{}")
    link = tmp_path / "state.json"
    link.symlink_to(os.path.relpath(real, tmp_path))
    StateFile(link).save(state_with_one_trunk())
    assert link.is_symlink() and os.readlink(link) == os.path.relpath(real, tmp_path)
    saved = json.loads(real.read_text())
    assert len(saved["accounts"][ACCOUNT]["trunks"]) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["real", "state.json"]
    assert sorted(p.name for p in real.parent.iterdir()) == ["state.json"]  # no temp file left
    fake = FakeTrunkingService()
    assert StateFile(link).load_into(fake)  # and it reads back through the link
    assert fake.dump_state() == saved


def test_a_symlinked_cassette_is_written_through_to_its_target(tmp_path: Path) -> None:
    real = tmp_path / "shared" / "trunks.yaml"
    real.parent.mkdir()
    link = tmp_path / "trunks.yaml"
    link.symlink_to(real)  # a dangling link: the first save creates its target
    fake = FakeTrunkingService()
    fake.handle_url("GET", "https://trunking.twilio.com/v1/Trunks", headers=AUTH)
    fake.save_cassette(link)
    assert link.is_symlink() and real.is_file()
    assert len(read_cassette(link).interactions) == 1
    fake.handle_url("GET", "https://trunking.twilio.com/v1/Trunks?PageSize=5", headers=AUTH)
    fake.save_cassette(link)
    assert link.is_symlink() and len(read_cassette(real).interactions) == 2


def test_a_re_saved_file_keeps_its_mode_and_a_new_one_is_private(tmp_path: Path) -> None:
    cassette = tmp_path / "trunks.yaml"
    fake = FakeTrunkingService()
    fake.handle_url("GET", "https://trunking.twilio.com/v1/Trunks", headers=AUTH)
    fake.save_cassette(cassette)
    assert stat.S_IMODE(cassette.stat().st_mode) == 0o600  # new: mkstemp's private mode
    cassette.chmod(0o644)
    fake.save_cassette(cassette)
    assert stat.S_IMODE(cassette.stat().st_mode) == 0o644
    state = tmp_path / "state.json"
    state.write_text("{}")
    state.chmod(0o640)
    StateFile(state).save(fake)
    assert stat.S_IMODE(state.stat().st_mode) == 0o640


INTERRUPTED_SAVE = textwrap.dedent(
    """
    import os, sys, time
    from fake_trunking import FakeTrunkingService
    from fake_trunking.server.files import StateFile

    def hang(fd):
        print("writing", flush=True)
        time.sleep(60)

    os.fsync = hang  # the save stops between writing its temporary file and the rename
    StateFile(sys.argv[1]).save(FakeTrunkingService())
    """
)


def leftovers(folder: Path, name: str) -> List[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(f".{name}."))


def test_the_leftover_of_an_interrupted_save_is_removed_at_the_next_start(
    tmp_path: Path,
) -> None:
    state = tmp_path / "state.json"
    state.write_text(json.dumps(state_with_one_trunk().dump_state()))
    before = state.read_bytes()
    proc = spawn("-c", INTERRUPTED_SAVE, str(state))
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == "writing\n"
    finally:
        proc.kill()  # like a power cut or kill -9 mid-save
        proc.communicate(timeout=10)
    left = leftovers(tmp_path, "state.json")
    assert len(left) == 1 and state.read_bytes() == before  # the old file is whole
    unrelated = [tmp_path / ".state.json.backup", tmp_path / ".other.json.1.abc.fake-trunking.tmp"]
    for path in unrelated:
        path.write_text("mine")
    fake = FakeTrunkingService()
    assert StateFile(state).load_into(fake)  # the next start
    assert leftovers(tmp_path, "state.json") == [".state.json.backup"]
    assert all(path.read_text() == "mine" for path in unrelated)
    assert len(fake.dump_state()["accounts"][ACCOUNT]["trunks"]) == 1


def test_leftovers_of_a_cassette_are_removed_at_the_next_save(tmp_path: Path) -> None:
    from fake_trunking.core.fileio import TEMP_SUFFIX

    cassette = tmp_path / "trunks.yaml"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    stale = tmp_path / f".trunks.yaml.{int(dead.stdout)}.k2j4h5g6{TEMP_SUFFIX}"
    # our own pid, no thread writing it: a container restarted with the same pid
    restarted = tmp_path / f".trunks.yaml.{os.getpid()}.z9y8x7w6{TEMP_SUFFIX}"
    writer = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        live = tmp_path / f".trunks.yaml.{writer.pid}.a1b2c3d4{TEMP_SUFFIX}"  # a save in flight
        for path in (stale, restarted, live):
            path.write_text("half a cassette")
        fake = FakeTrunkingService()
        fake.handle_url("GET", "https://trunking.twilio.com/v1/Trunks", headers=AUTH)
        fake.save_cassette(cassette)
        assert not stale.exists() and not restarted.exists()
        assert live.exists()  # its process still runs: never touched
    finally:
        writer.kill()
        writer.wait(10)
    assert len(read_cassette(cassette).interactions) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, "trunks.yaml"])


def test_a_special_file_is_never_replaced_by_a_save(fifo: Path, tmp_path: Path) -> None:
    link = tmp_path / "trunks.yaml"
    link.symlink_to(fifo)
    fake = FakeTrunkingService()
    fake.handle_url("GET", "https://trunking.twilio.com/v1/Trunks", headers=AUTH)
    with pytest.raises(CassetteError, match=r"not a regular file \(a FIFO\); refused"):
        fake.save_cassette(link)
    with pytest.raises(StateFileError, match=r"not a regular file \(a FIFO\); refused"):
        StateFile(fifo).save(fake)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and link.is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe", "trunks.yaml"]


def state_text(accounts: str) -> str:
    return '{"format": "fake-trunking-state", "version": 1, "accounts": {' + accounts + "}}"


def test_a_state_file_of_absurd_shape_is_refused_before_anything_is_built(
    tmp_path: Path,
) -> None:
    from fake_trunking.state import MAX_ACCOUNTS

    path = tmp_path / "state.json"
    count = MAX_ACCOUNTS + 1  # 4 MiB of empty accounts: about 110 MiB of objects, if built
    path.write_text(state_text(",".join(f'"AC{i:032x}": {{}}' for i in range(count))))
    fake = state_with_one_trunk()
    before = fake.dump_state()
    started = time.monotonic()
    with pytest.raises(StateFileError, match=f"{count} accounts, more than the {MAX_ACCOUNTS}"):
        StateFile(path).load_into(fake)
    assert time.monotonic() - started < 5  # parsing only (well under a second on a quiet box)
    assert fake.dump_state() == before


def test_more_trunks_than_the_configured_limit_is_refused_early() -> None:
    fake = FakeTrunkingService(max_trunks_per_account=None)
    fake.seed_trunks(ACCOUNT, 3)
    snapshot = fake.dump_state()
    limited = FakeTrunkingService(max_trunks_per_account=2)
    with pytest.raises(ValueError, match=r"3 trunks, more than max_trunks_per_account \(2\)"):
        limited.load_state(snapshot)
    assert limited.dump_state()["accounts"] == {}
    FakeTrunkingService(max_trunks_per_account=3).load_state(snapshot)  # at the limit: fine


@pytest.mark.parametrize("version", [True, 1.0, "1", None])
def test_a_state_version_that_is_not_the_integer_1_is_refused(tmp_path: Path, version: Any) -> None:
    snapshot = state_with_one_trunk().dump_state()
    snapshot["version"] = version
    path = tmp_path / "state.json"
    path.write_text(json.dumps(snapshot))
    with pytest.raises(StateFileError, match="invalid state at version: expected 1"):
        StateFile(path).load_into(FakeTrunkingService())
    with pytest.raises(ValueError, match="version"):
        FakeTrunkingService().load_state(snapshot)


SLOW_START = textwrap.dedent(
    """
    import sys
    from fake_trunking import service
    from fake_trunking.cli import main

    load = service.FakeTrunkingService.load_state

    def announced(self, snapshot):
        print("loading", flush=True)  # the file is parsed; the (long) load starts now
        for _ in range(20):  # long enough that the signal lands in a load on a busy machine
            load(self, snapshot)

    service.FakeTrunkingService.load_state = announced
    sys.exit(main(["serve", "--port", "0", "--state", sys.argv[1]]))
    """
)


def test_sigterm_stops_a_long_state_load_in_one_line(tmp_path: Path) -> None:
    accounts = 30_000 if os.environ.get("FAKE_TRUNKING_LONG") != "1" else 100_000
    registry = (
        '"AC{i:032x}": {{"registry": {{"CL": [{{"sid": "CL{i:032x}", "account_sid": '
        '"AC{i:032x}", "friendly_name": "x", "date_created": "2020-01-01T00:00:00Z", '
        '"date_updated": "2020-01-01T00:00:00Z"}}]}}}}'
    )
    path = tmp_path / "state.json"
    path.write_text(state_text(",".join(registry.format(i=i) for i in range(accounts))))
    before = path.stat().st_mtime_ns
    proc = spawn("-c", SLOW_START, str(path))
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == "loading\n"
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=10)
    assert proc.returncode == 1 and out == "", (out, err)
    assert err.splitlines() == [
        f"fake-trunking serve: stopped by SIGTERM while loading state file {path}; "
        "nothing was saved"
    ]
    assert path.stat().st_mtime_ns == before


def test_concurrent_saves_of_one_cassette_never_remove_each_others_temporary_files(
    tmp_path: Path,
) -> None:
    """The clean-up at each save leaves alone what another thread of this process is writing."""
    from .helpers import run_together

    cassette = tmp_path / "trunks.yaml"
    fake = FakeTrunkingService()
    fake.handle_url("GET", "https://trunking.twilio.com/v1/Trunks", headers=AUTH)

    def save(_i: int) -> int:
        for _ in range(10):
            fake.save_cassette(cassette)
        return 0

    assert run_together(8, save) == [0] * 8
    assert [p.name for p in tmp_path.iterdir()] == ["trunks.yaml"]
    assert len(read_cassette(cassette).interactions) == 1
