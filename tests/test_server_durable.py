"""Durable state (issue 16, item 3): ``--state FILE`` (not ``*.json``) is a SQLite database.

Every acknowledged write survives ``kill -9``; a write that cannot be saved is a 503 and changes
nothing; corrupt, foreign, locked and read-only files are refused in one line and left as they
were; an unusable path is refused at start; ``*.json`` keeps the snapshot behaviour.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import random
import signal
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Dict, List, Set, Tuple

import pytest

from fake_trunking import FakeTrunkingServer
from fake_trunking.server.admin_client import AdminClient
from fake_trunking.server.database import StateDatabase
from fake_trunking.server.files import StateFileError

from .helpers import read_line, spawn_serve, stop

ACCOUNT = "AC" + "1" * 32
AUTH = "Basic " + base64.b64encode(f"{ACCOUNT}:token".encode()).decode()
TRIALS = 20  # issue 16: no acknowledged write lost over 20 trials


def _post(conn: http.client.HTTPConnection, path: str, form: str) -> Tuple[int, Any]:
    conn.request(
        "POST",
        path,
        body=form,
        headers={"Authorization": AUTH, "Content-Type": "application/x-www-form-urlencoded"},
    )
    response = conn.getresponse()
    body = response.read()
    return response.status, json.loads(body) if body else None


def _delete(conn: http.client.HTTPConnection, path: str) -> int:
    conn.request("DELETE", path, headers={"Authorization": AUTH})
    response = conn.getresponse()
    response.read()
    return response.status


def _state_of(db: Path) -> Dict[str, Any]:
    with FakeTrunkingServer(state_file=db) as server:
        return server.fake.dump_state()


def _trunks(state: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    account = state["accounts"].get(ACCOUNT, {"trunks": []})
    return {t["sid"]: t for t in account["trunks"]}


def _writer(port: int, created: Dict[str, str], deleted: Set[str], done: threading.Event) -> None:
    """Create trunks as fast as it can (and delete every third one); record what was
    acknowledged. Stops when the server dies."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    i = 0
    try:
        while not done.is_set():
            i += 1
            status, body = _post(conn, "/v1/Trunks", f"FriendlyName=t{i}")
            assert status == 201, body
            created[body["sid"]] = f"t{i}"
            if i % 3 == 0:
                sid = body["sid"]
                del created[sid]  # its fate is unknown until the delete is acknowledged
                assert _delete(conn, f"/v1/Trunks/{sid}") == 204
                created[sid] = f"t{i}"
                deleted.add(sid)
    except (OSError, http.client.HTTPException):
        pass  # killed: the write in flight (if any) was not acknowledged
    finally:
        conn.close()


def test_kill_9_during_a_stream_of_writes_loses_no_acknowledged_write(tmp_path: Path) -> None:
    """``TRIALS`` times: a client writes (creates and deletes) as fast as it can, the server is
    SIGKILLed at a random moment, and after a restart every acknowledged create is there (with
    its name) and every acknowledged delete is gone."""
    db = tmp_path / "state.db"
    rng = random.Random(16)
    created: Dict[str, str] = {}
    deleted: Set[str] = set()
    for trial in range(TRIALS):
        proc = spawn_serve("--state", str(db), "--max-trunks-per-account", "none")
        port = int(read_line(proc).strip().rsplit(":", 1)[1])
        done = threading.Event()
        writer = threading.Thread(target=_writer, args=(port, created, deleted, done))
        writer.start()
        time.sleep(rng.uniform(0.02, 0.25))
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=20)
        done.set()
        writer.join(20)
        trunks = _trunks(_state_of(db))
        for sid, name in created.items():
            if sid in deleted:
                assert sid not in trunks, f"trial {trial}: acknowledged delete of {sid} lost"
            else:
                assert sid in trunks, f"trial {trial}: acknowledged create of {sid} lost"
                assert trunks[sid]["friendly_name"] == name
    assert len(created) > TRIALS  # the writes did happen


def _full_disk(server: FakeTrunkingServer) -> None:
    """Make the database full: SQLite's own "database or disk is full" (SQLITE_FULL) on the
    next write that needs a page, as on a full disk."""
    database = server.state_file
    assert isinstance(database, StateDatabase)
    con = database._connection()
    pages = con.execute("PRAGMA page_count").fetchone()[0]
    con.execute(f"PRAGMA max_page_count={pages}")


def test_a_write_that_cannot_be_saved_is_a_503_and_changes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    with FakeTrunkingServer(seed=3, state_file=db, max_trunks_per_account=None) as server:
        client = server.client(ACCOUNT)
        kept = client.trunking.v1.trunks.create(friendly_name="kept")
        _full_disk(server)
        answers: List[int] = []
        for i in range(200):  # until a write needs a new page
            before = server.fake.dump_state()
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
            status, body = _post(conn, "/v1/Trunks", f"FriendlyName={'x' * 60}{i}")
            conn.close()
            answers.append(status)
            if status != 201:
                break
        assert status == 503, answers
        assert body["code"] == 20503 and "could not be saved" in body["message"], body
        assert "full" in body["message"]
        assert server.fake.dump_state() == before  # nothing changed in memory
        # an update (in place, in memory) refused the same way changes nothing either
        saved = before
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        status, _ = _post(conn, f"/v1/Trunks/{kept.sid}", "FriendlyName=" + "y" * 64)
        conn.close()
        assert status in (200, 503)
        if status == 503:
            assert server.fake.dump_state() == before
        else:  # it fitted in the pages left: saved and answered
            saved = server.fake.dump_state()
        assert (server.fake.store.persister is not None) and server.running
    assert _state_of(db) == saved  # and the database holds exactly what was acknowledged


def test_a_full_disk_during_an_admin_load_keeps_the_old_state(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    with FakeTrunkingServer(seed=4, state_file=db, max_trunks_per_account=None) as server:
        admin = AdminClient(server.base_url)
        admin.seed_trunks(ACCOUNT, count=3)
        before = server.fake.dump_state()
        big = FakeTrunkingServer(seed=5, max_trunks_per_account=None).fake
        big.seed_trunks(ACCOUNT, 300)
        _full_disk(server)
        with pytest.raises(Exception) as refused:
            admin.load_state(big.dump_state())
        assert getattr(refused.value, "status", None) == 503
        assert server.fake.dump_state() == before
    assert _state_of(db) == before


def test_admin_load_and_reset_replace_the_database_contents(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    source = FakeTrunkingServer(seed=6).fake
    source.seed_trunks(ACCOUNT, 3)
    snapshot = source.dump_state()
    with FakeTrunkingServer(seed=7, state_file=db) as server:
        admin = AdminClient(server.base_url)
        admin.seed_trunks(ACCOUNT, count=2)
        admin.load_state(snapshot)
        assert server.fake.dump_state() == snapshot
    assert _state_of(db) == snapshot
    with FakeTrunkingServer(seed=7, state_file=db) as server:
        AdminClient(server.base_url).reset()
    assert _trunks(_state_of(db)) == {}


def test_every_kind_of_write_round_trips_through_the_database(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    with FakeTrunkingServer(seed=8, state_file=db, domain_reservation_days=5) as server:
        client = server.client(ACCOUNT)
        trunks = client.trunking.v1.trunks
        a = trunks.create(friendly_name="a", domain_name="a.pstn.twilio.com")
        b = trunks.create(friendly_name="b", domain_name="b.pstn.twilio.com")
        trunks(a.sid).origination_urls.create(
            weight=1, priority=1, enabled=True, friendly_name="o", sip_url="sip:a@example.com"
        )
        trunks(b.sid).update(friendly_name="b2", secure=True)
        trunks(b.sid).recordings().update(mode="record-from-answer")
        cl = server.fake.seed_credential_list(ACCOUNT, friendly_name="cl")
        pn = server.fake.seed_phone_number(ACCOUNT, "+14155550100")
        trunks(b.sid).credentials_lists.create(credential_list_sid=cl)
        trunks(b.sid).phone_numbers.create(phone_number_sid=pn)
        trunks(a.sid).delete()  # takes its origination URL; reserves its domain
        before = server.fake.dump_state()
    assert _state_of(db) == before
    with FakeTrunkingServer(seed=8, state_file=db, domain_reservation_days=5) as server:
        client = server.client(ACCOUNT)
        assert [t.friendly_name for t in client.trunking.v1.trunks.list(page_size=1)] == ["b2"]
        # the reservation and the domain index came back too
        error = None
        try:
            client.trunking.v1.trunks.create(domain_name="A.pstn.twilio.com")
        except Exception as exc:
            error = exc
        assert getattr(error, "code", None) == 21248
        client.trunking.v1.trunks(b.sid).phone_numbers(pn).delete()
        before = server.fake.dump_state()
    assert _state_of(db) == before


# -- files that are not ours, or not usable: refused at start, left as they were ------------
def _refused(db: Path, *extra: str) -> str:
    proc = spawn_serve("--state", str(db), *extra)
    try:
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:  # it did not refuse: never leave it running
            proc.kill()
            proc.communicate()
    assert proc.returncode == 1 and out == "", (out, err)
    lines = err.splitlines()
    assert len(lines) == 1 and str(db) in lines[0], err
    return lines[0]


def _untouched(db: Path, data: bytes) -> None:
    assert db.read_bytes() == data
    assert sorted(p.name for p in db.parent.iterdir()) == [db.name]  # no -wal, no -shm


def test_a_corrupt_database_is_refused_and_left_untouched(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    data = b"this is not a database\n" * 20
    db.write_bytes(data)
    assert "not a SQLite database" in _refused(db)
    _untouched(db, data)


def test_a_foreign_sqlite_database_is_refused_and_left_untouched(tmp_path: Path) -> None:
    db = tmp_path / "app.sqlite"
    con = sqlite3.connect(str(db))
    con.execute("CREATE TABLE users (name TEXT)")
    con.execute("INSERT INTO users VALUES ('someone')")
    con.commit()
    con.close()
    data = db.read_bytes()
    assert "another application" in _refused(db)
    _untouched(db, data)


def test_a_database_in_use_by_another_server_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    with FakeTrunkingServer(state_file=db) as server:
        server.client(ACCOUNT).trunking.v1.trunks.create(friendly_name="first")
        assert "in use by another process" in _refused(db)
        with pytest.raises(StateFileError, match="in use"):
            FakeTrunkingServer(state_file=db).start()
        server.client(ACCOUNT).trunking.v1.trunks.create(friendly_name="still served")
    assert len(_trunks(_state_of(db))) == 2


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write a read-only file")
def test_a_read_only_database_is_refused_and_left_untouched(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    with FakeTrunkingServer(state_file=db) as server:
        server.client(ACCOUNT).trunking.v1.trunks.create(friendly_name="x")
    data = db.read_bytes()
    db.chmod(0o444)
    assert "read-only" in _refused(db)
    _untouched(db, data)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write in a read-only folder")
def test_a_read_only_folder_is_refused_at_start(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        assert "not writable" in _refused(folder / "state.db")
    finally:
        folder.chmod(0o755)


@pytest.mark.parametrize("name", ["state.db", "state.json"])
def test_a_missing_folder_is_refused_at_start_not_at_shutdown(tmp_path: Path, name: str) -> None:
    line = _refused(tmp_path / "no" / "such" / name)
    assert "does not exist" in line


def test_a_json_state_file_keeps_the_snapshot_behaviour(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    with FakeTrunkingServer(seed=9, state_file=path) as server:
        server.client(ACCOUNT).trunking.v1.trunks.create(friendly_name="snap")
        assert not path.exists()  # saved on shutdown only (not crash-safe)
    saved = json.loads(path.read_text())
    assert saved["format"] == "fake-trunking-state"
    assert [t["friendly_name"] for t in _trunks(saved).values()] == ["snap"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]


def test_state_sync_is_deprecated_and_not_needed_with_a_database(tmp_path: Path) -> None:
    proc = spawn_serve("--state", str(tmp_path / "state.db"), "--state-sync")
    read_line(proc)
    status, _out, err = stop(proc)
    assert status == 0, err
    assert "--state-sync is deprecated and not needed" in err
    proc = spawn_serve("--state", str(tmp_path / "state.json"), "--state-sync")
    read_line(proc)
    status, _out, err = stop(proc)
    assert status == 0, err
    assert "--state-sync is deprecated" in err and "not crash-safe" in err


def test_records_of_any_owned_collection_persist_without_code_of_their_own(
    tmp_path: Path,
) -> None:
    """What a new resource gets for free: a trunk's child collection under a key no resource
    uses today, and a registry dict, are saved by the store's write path and come back."""
    db = tmp_path / "state.db"
    with FakeTrunkingServer(seed=10, state_file=db) as server:
        store = server.fake.store
        sid = server.fake.seed_trunks(ACCOUNT, 1)[0]
        with store.writing():
            account = store.account(ACCOUNT)
            things = account.child(sid, "new_things", create=True)
            assert things is not None
            things.add("NT1", {"sid": "NT1", "tuple": ("a", "b"), "n": 1})
            things.add("NT2", {"sid": "NT2", "n": 2})
        with store.writing():
            record = store.account(ACCOUNT).child(sid, "new_things").get("NT1")  # type: ignore[union-attr]
            assert record is not None
            record["n"] = 10  # changed in place after a lookup, as resources do
    with FakeTrunkingServer(seed=10, state_file=db) as server:
        account = server.fake.store.accounts[ACCOUNT]
        things = account.child(sid, "new_things")
        assert things is not None
        assert [r["n"] for r in things] == [10, 2]
        assert things.get("NT1") == {"sid": "NT1", "tuple": ("a", "b"), "n": 10}
        server.client(ACCOUNT).trunking.v1.trunks(sid).delete()
    with FakeTrunkingServer(seed=10, state_file=db) as server:
        # gone with its trunk, in the database too
        assert server.fake.store.accounts.get(ACCOUNT) is None or (
            server.fake.store.accounts[ACCOUNT].child(sid, "new_things") is None
        )
