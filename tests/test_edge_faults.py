"""Faults at the edges (issue 8, part 6): a full disk or a read-only folder while a cassette or a
state file is written leaves the previous file exactly as it was, leaves no temporary file
behind, and is reported as one clear line: ``CassetteError``/``StateFileError`` in Python, one
line on stderr and exit status 1 for ``fake-trunking serve``.

A full disk is simulated by making one step of the atomic write fail with ``OSError(ENOSPC)``:
creating the temporary file, writing it (after half the bytes), ``fsync``, or the final
``os.replace``. A read-only folder is a real ``chmod`` where permissions apply, and the file
system's ``EROFS`` answer when the tests run as root (root ignores permission bits).
"""

from __future__ import annotations

import errno
import io
import json
import os
import tempfile
import textwrap
from pathlib import Path
from typing import Any, Iterator

import pytest

from fake_trunking import FakeTrunkingServer, FakeTrunkingService
from fake_trunking.cassettes import CassetteError, open_backend, read_cassette
from fake_trunking.server.http import StateFile, StateFileError

from .helpers import read_line, spawn, stop

STAGES = ["mkstemp", "write", "fsync", "replace"]
PREVIOUS = b"the previous file: it must survive byte for byte\n"


class _HalfWriter:
    """A file whose ``write`` puts half the data on disk, then finds the disk full."""

    def __init__(self, real: Any) -> None:
        self._real = real

    def write(self, data: Any) -> int:
        self._real.write(data[: len(data) // 2])
        self._real.flush()
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def __enter__(self) -> _HalfWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self._real.close()


def inject_disk_fault(
    monkeypatch: pytest.MonkeyPatch, stage: str, code: int = errno.ENOSPC
) -> None:
    """Make ``stage`` of every atomic write in this test fail with ``OSError(code)``."""
    error = OSError(code, os.strerror(code))

    def fail(*_args: Any, **_kwargs: Any) -> Any:
        raise error

    if stage == "mkstemp":
        monkeypatch.setattr(tempfile, "mkstemp", fail)
    elif stage == "write":
        real_fdopen = os.fdopen
        monkeypatch.setattr(os, "fdopen", lambda *a, **k: _HalfWriter(real_fdopen(*a, **k)))
    elif stage == "fsync":
        monkeypatch.setattr(os, "fsync", fail)
    else:
        monkeypatch.setattr(os, "replace", fail)


def make_read_only(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if os.geteuid() != 0:
        folder.chmod(0o555)
    else:  # root writes anywhere: answer the way a read-only file system does
        inject_disk_fault(monkeypatch, "mkstemp", errno.EROFS)


def assert_untouched(folder: Path, target: Path, previous: bytes = PREVIOUS) -> None:
    assert target.read_bytes() == previous
    assert sorted(p.name for p in folder.iterdir()) == [target.name]  # no temporary file left


@pytest.fixture
def served_fake() -> Iterator[FakeTrunkingService]:
    """A fake that served some traffic, ready to be saved as a cassette or a state file."""
    with FakeTrunkingService(seed=5) as fake:
        trunks = fake.client().trunking.v1.trunks
        sid = trunks.create(friendly_name="HQ", domain_name="faults.pstn.twilio.com").sid
        trunks(sid).update(secure=True)
        yield fake


# -- cassettes -----------------------------------------------------------------------------------
@pytest.mark.parametrize("stage", STAGES)
def test_a_full_disk_while_saving_a_cassette_keeps_the_previous_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, served_fake: FakeTrunkingService, stage: str
) -> None:
    target = tmp_path / "tape.yaml"
    target.write_bytes(PREVIOUS)
    inject_disk_fault(monkeypatch, stage)
    with pytest.raises(CassetteError) as failed:
        served_fake.save_cassette(target)
    message = str(failed.value)
    assert message == f"{target}: cannot write: No space left on device"
    assert_untouched(tmp_path, target)
    monkeypatch.undo()  # the disk has room again: the same save now works
    served_fake.save_cassette(target)
    assert len(read_cassette(target).interactions) == 2


def test_a_full_disk_on_a_first_cassette_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, served_fake: FakeTrunkingService
) -> None:
    inject_disk_fault(monkeypatch, "write")
    with pytest.raises(CassetteError, match="No space left on device"):
        served_fake.save_cassette(tmp_path / "new.yaml")
    assert list(tmp_path.iterdir()) == []


def test_a_read_only_folder_while_saving_a_cassette(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, served_fake: FakeTrunkingService
) -> None:
    folder = tmp_path / "cassettes"
    folder.mkdir()
    target = folder / "tape.yaml"
    target.write_bytes(PREVIOUS)
    make_read_only(folder, monkeypatch)
    try:
        with pytest.raises(CassetteError) as failed:
            served_fake.save_cassette(target)
    finally:
        folder.chmod(0o755)
    message = str(failed.value)
    assert "\n" not in message and message.startswith(f"{target}: cannot write: ")
    assert message.endswith(("Read-only file system", "Permission denied"))
    assert_untouched(folder, target)


def test_a_full_disk_at_the_end_of_a_recording_keeps_the_previous_cassette(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    account, token = "AC" + "ab" * 16, "a-recording-token-0123456789"
    target = tmp_path / "recorded.yaml"
    target.write_bytes(PREVIOUS)
    with FakeTrunkingServer(seed=3, credentials={account: token}) as twilio:
        monkeypatch.setenv("TWILIO_ACCOUNT_SID", account)
        monkeypatch.setenv("TWILIO_AUTH_TOKEN", token)
        monkeypatch.setenv("FAKE_TRUNKING_RECORD_ACCOUNTS", account)
        monkeypatch.setenv("FAKE_TRUNKING_BASE_URL", twilio.base_url)
        with (
            pytest.raises(CassetteError, match="No space left on device"),
            open_backend("record", target, {}) as backend,
        ):
            backend.client().trunking.v1.trunks.create(friendly_name="recorded")
            inject_disk_fault(monkeypatch, "replace")
        assert len(twilio.fake.calls) == 1
    assert_untouched(tmp_path, target)


# -- state files -------------------------------------------------------------------------------
@pytest.mark.parametrize("stage", STAGES)
def test_a_full_disk_while_saving_a_state_file_keeps_the_previous_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, served_fake: FakeTrunkingService, stage: str
) -> None:
    target = tmp_path / "state.json"
    target.write_bytes(PREVIOUS)
    inject_disk_fault(monkeypatch, stage)
    with pytest.raises(StateFileError) as failed:
        StateFile(target).save(served_fake)
    message = str(failed.value)
    assert "\n" not in message
    assert message.startswith(f"cannot write state file {target}: ")
    assert message.endswith("No space left on device")
    assert_untouched(tmp_path, target)
    monkeypatch.undo()
    StateFile(target).save(served_fake)
    assert json.loads(target.read_bytes()) == served_fake.dump_state()


def test_a_read_only_folder_while_saving_a_state_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, served_fake: FakeTrunkingService
) -> None:
    folder = tmp_path / "state"
    folder.mkdir()
    target = folder / "state.json"
    target.write_bytes(PREVIOUS)
    make_read_only(folder, monkeypatch)
    try:
        with pytest.raises(StateFileError) as failed:
            StateFile(target).save(served_fake)
    finally:
        folder.chmod(0o755)
    message = str(failed.value)
    assert "\n" not in message and message.startswith(f"cannot write state file {target}: ")
    assert message.endswith(("Read-only file system", "Permission denied"))
    assert_untouched(folder, target)


def test_the_servers_shutdown_save_on_a_full_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``FakeTrunkingServer.stop()`` raises the one-line error, keeps the previous file, and
    still stops: the port is closed and the server can be started again."""
    target = tmp_path / "state.json"
    with FakeTrunkingServer(seed=4, state_file=target) as first:
        first.client().trunking.v1.trunks.create(friendly_name="saved")
    previous = target.read_bytes()
    server = FakeTrunkingServer(seed=4, state_file=target).start()
    server.client().trunking.v1.trunks.create(friendly_name="lost on a full disk")
    inject_disk_fault(monkeypatch, "write")
    with pytest.raises(StateFileError, match="No space left on device") as failed:
        server.stop()
    assert "\n" not in str(failed.value)
    assert not server.running
    assert_untouched(tmp_path, target, previous)
    names = [t["friendly_name"] for t in server.fake.trunks()]
    assert names == ["saved", "lost on a full disk"]  # nothing is lost in memory: retry later
    monkeypatch.undo()
    assert server.state_file is not None
    server.state_file.save(server.fake)
    with FakeTrunkingServer(seed=4, state_file=target) as again:
        names = [t.friendly_name for t in again.client().trunking.v1.trunks.list()]
    assert names == ["saved", "lost on a full disk"]


def test_state_sync_on_a_full_disk_reports_one_line_and_keeps_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "state.json"
    with FakeTrunkingServer(seed=6, state_file=target, state_sync=True) as server:
        assert server.httpd is not None
        server.httpd.log = log = io.StringIO()
        trunks = server.client().trunking.v1.trunks
        trunks.create(friendly_name="synced")
        previous = target.read_bytes()
        inject_disk_fault(monkeypatch, "fsync")
        sid = trunks.create(friendly_name="not synced").sid  # still answered
        assert trunks(sid).fetch().friendly_name == "not synced"
        assert_untouched(tmp_path, target, previous)
        (line,) = log.getvalue().splitlines()
        assert line.startswith(f"fake-trunking: cannot write state file {target}: ")
        assert line.endswith("No space left on device")
        monkeypatch.undo()


# -- the command line ------------------------------------------------------------------------------
SERVE_WITH_A_FAULT = """
import errno, os, sys, tempfile

def fail(*args, **kwargs):
    raise OSError(errno.{code}, os.strerror(errno.{code}))

{target} = fail  # the disk fault, injected before the server starts
from fake_trunking.cli import main
sys.exit(main(["serve", "--state", sys.argv[1]]))
"""


@pytest.mark.parametrize(
    ("target", "code", "reason"),
    [
        ("os.replace", "ENOSPC", "No space left on device"),
        ("tempfile.mkstemp", "EROFS", "Read-only file system"),
    ],
    ids=["full-disk", "read-only-folder"],
)
def test_the_serve_command_reports_a_failed_shutdown_save_in_one_line(
    tmp_path: Path, target: str, code: str, reason: str
) -> None:
    """``fake-trunking serve --state FILE`` in its own process, the fault injected: on SIGTERM
    it stops, prints one line naming the file and the reason, exits 1, keeps the old file."""
    state = tmp_path / "state.json"
    with FakeTrunkingServer(seed=8, state_file=state) as first:
        account = first.fake.default_account_sid
        first.client().trunking.v1.trunks.create(friendly_name="kept")
    previous = state.read_bytes()
    script = textwrap.dedent(SERVE_WITH_A_FAULT).format(target=target, code=code)
    proc = spawn("-c", script, str(state))
    try:
        url = read_line(proc).strip()
        from fake_trunking import client_for

        trunks = client_for(url, account, "token").trunking.v1.trunks
        assert [t.friendly_name for t in trunks.list()] == ["kept"]  # loaded from the file
        trunks.create(friendly_name="unsaved")
        _status, out, err = stop(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=10)
    assert proc.returncode == 1
    assert out == ""  # the URL line was read above; nothing else on stdout
    assert err.startswith(f"fake-trunking serve: cannot write state file {state}: ")
    assert err.endswith(f"{reason}\n") and err.count("\n") == 1
    assert_untouched(tmp_path, state, previous)
