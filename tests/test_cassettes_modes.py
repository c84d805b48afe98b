"""The four modes (issue 4): ``fake_trunking.cassettes.open_backend`` directly, and a downstream
pytest suite run through ``pytester`` in every mode with the same test code.

"Twilio" in record and live mode is simulated by a ``FakeTrunkingServer`` on a loopback port
(``FAKE_TRUNKING_BASE_URL`` points the real requests at it): no test reaches the internet.
"""

from __future__ import annotations

import base64
import contextlib
import importlib
import textwrap
from pathlib import Path
from typing import Iterator

import pytest
import requests
import vcr
import yaml
from faker import Faker
from twilio.rest import Client

from fake_trunking.cassettes import (
    PLACEHOLDER_ACCOUNT,
    CassetteError,
    FakeOnlyError,
    LeakError,
    RecordingRefused,
    UnmatchedRequest,
    open_backend,
    read_cassette,
    verify,
)
from fake_trunking.server.http import FakeTrunkingServer
from fake_trunking.service import FakeTrunkingService

from .helpers import VCRPY_TOO_OLD, vcrpy_matches_twilio_lists
from .test_cassettes import VCR_MATCH, provision

# pytester restores sys.modules after every in-process run, so what an inner run imports is
# imported (and assertion-rewritten) again by the next run: ~2 s each. Imported here first, the
# heavy ones stay, and a run costs ~0.1 s.
for _name in (
    "hypothesis",
    "hypothesis.strategies",
    "aiohttp",
    "aioresponses",
    "twilio.rest",
    "vcr",
    "fake_trunking.intercept.aiohttp_mock",
):
    with contextlib.suppress(ImportError):
        importlib.import_module(_name)
Faker()  # loads its locale providers once

ACCOUNT = "AC" + "7e" * 16
GOOD = b"version: 1\ninteractions: []  # stands for a good committed cassette\n"
TOKEN = "t0k3n" + "fedcba9876543210" * 2  # the canary: it must never reach a cassette


@pytest.fixture
def twilio(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTrunkingServer]:
    """A simulated Twilio on loopback, with the environment record and live mode need."""
    with FakeTrunkingServer(seed=21, credentials={ACCOUNT: TOKEN}) as server:
        monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT)
        monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
        monkeypatch.setenv("FAKE_TRUNKING_RECORD_ACCOUNTS", f"ACsomethingelse, {ACCOUNT}")
        monkeypatch.setenv("FAKE_TRUNKING_BASE_URL", server.base_url)
        yield server


def test_unknown_mode_is_refused(tmp_path: Path) -> None:
    with (
        pytest.raises(CassetteError, match="unknown trunking mode 'rewind'"),
        open_backend("rewind", tmp_path / "c.yaml", {}),
    ):
        pass  # pragma: no cover


def test_fake_mode_is_the_fake_itself(tmp_path: Path) -> None:
    with open_backend("fake", tmp_path / "c.yaml", {"seed": 3}) as backend:
        assert backend.mode == "fake"
        trunk = backend.client().trunking.v1.trunks.create(friendly_name="x")
        assert [c.path for c in backend.calls] == ["/v1/Trunks"]
        assert trunk.account_sid == backend.default_account_sid
    assert not (tmp_path / "c.yaml").exists()


@pytest.mark.parametrize("mode", ["record", "live"])
def test_record_and_live_refuse_without_credentials_or_for_unlisted_accounts(
    twilio: FakeTrunkingServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, mode: str
) -> None:
    path = tmp_path / "c.yaml"

    def refusal() -> str:
        with pytest.raises(RecordingRefused) as info, open_backend(mode, path, {}):
            pass  # pragma: no cover
        assert TOKEN not in str(info.value)
        return str(info.value)

    monkeypatch.setenv("FAKE_TRUNKING_RECORD_ACCOUNTS", "AC" + "0" * 32)
    assert refusal() == (
        f"refusing {mode} mode against account {ACCOUNT}: it is not listed in "
        "FAKE_TRUNKING_RECORD_ACCOUNTS (list only test accounts there)"
    )
    monkeypatch.delenv("FAKE_TRUNKING_RECORD_ACCOUNTS")
    assert "not listed" in refusal()
    monkeypatch.setenv("FAKE_TRUNKING_RECORD_ACCOUNTS", ACCOUNT)
    monkeypatch.delenv("TWILIO_AUTH_TOKEN")
    assert "needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN" in refusal()
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    monkeypatch.setenv("FAKE_TRUNKING_BASE_URL", "https://example.com")
    assert "FAKE_TRUNKING_BASE_URL must be a trunking*.twilio.com host" in refusal()
    assert not path.exists()
    assert twilio.fake.calls == []  # nothing reached "Twilio"


def test_record_writes_a_scrubbed_live_cassette_that_replays_and_verifies(
    twilio: FakeTrunkingServer, tmp_path: Path
) -> None:
    path = tmp_path / "tapes" / "session.yaml"
    cl = twilio.fake.seed_credential_list(ACCOUNT, "PBX users")
    pn = twilio.fake.seed_phone_number(ACCOUNT, phone_number="+14155550199")
    with open_backend("record", path, {}) as backend:
        assert backend.mode == "record" and backend.default_account_sid == ACCOUNT
        recorded = provision(backend.client(), cl, pn)
        with pytest.raises(requests.ConnectionError):  # only Trunking requests go out
            requests.get("https://messaging.twilio.com/v1/Services", timeout=5)
    assert len(twilio.fake.calls) > 10  # they all reached the simulated Twilio
    text = path.read_text()
    # no Authorization header (the CORS Access-Control-Allow-Headers value names it, as Twilio's)
    assert "authorization:" not in text.lower()
    assert TOKEN not in text and ACCOUNT not in text
    assert base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode() not in text
    meta = yaml.safe_load(text)["metadata"]
    assert meta["source"] == "live" and meta["last_verified"] == meta["recorded_at"][:10]
    cassette = read_cassette(path)
    assert cassette.accounts == [PLACEHOLDER_ACCOUNT]
    assert len(cassette.interactions) == len(twilio.fake.calls)
    twilio.stop()  # replay needs no network and no fake
    with open_backend("replay", path, {}) as backend:
        assert provision(backend.client(), cl, pn) == recorded
    assert verify(path).ok
    if not vcrpy_matches_twilio_lists():
        pytest.skip(VCRPY_TOO_OLD)  # everything above ran; only vcrpy's own replay is left
    client = Client(PLACEHOLDER_ACCOUNT, "any")
    with vcr.use_cassette(str(path), record_mode="none", match_on=VCR_MATCH) as tape:
        assert provision(client, cl, pn) == recorded  # vcrpy alone replays it too
        assert tape.all_played


def test_live_mode_writes_nothing(twilio: FakeTrunkingServer, tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    with open_backend("live", path, {}) as backend:
        assert backend.mode == "live"
        trunk = backend.client().trunking.v1.trunks.create(friendly_name="live")
        assert trunk.account_sid == ACCOUNT
        with pytest.raises(requests.ConnectionError):
            requests.get("https://example.com/", timeout=5)
    assert [c.path for c in twilio.fake.calls] == ["/v1/Trunks"]
    assert list(tmp_path.iterdir()) == []


def test_record_refuses_to_write_a_cassette_holding_the_token(
    twilio: FakeTrunkingServer, tmp_path: Path
) -> None:
    import urllib3.connectionpool as pools

    before = (pools.HTTPConnectionPool.ConnectionCls, pools.HTTPSConnectionPool.ConnectionCls)
    path = tmp_path / "c.yaml"
    with (
        pytest.raises(LeakError, match="nothing was written"),
        open_backend("record", path, {}) as backend,
    ):
        backend.client().trunking.v1.trunks.create(friendly_name=TOKEN[:40])
    assert not path.exists()
    # the refusal happens after vcrpy has exited: nothing stays patched
    after = (pools.HTTPConnectionPool.ConnectionCls, pools.HTTPSConnectionPool.ConnectionCls)
    assert after == before


def test_record_without_requests_writes_nothing_and_keeps_the_old_cassette(
    twilio: FakeTrunkingServer, tmp_path: Path
) -> None:
    """An offline or empty recording never replaces a cassette with ``interactions: []``."""
    path = tmp_path / "empty.yaml"
    with open_backend("record", path, {}) as backend:
        pass
    assert not path.exists()
    assert backend.cassette_note == f"wrote no cassette to {path} (no interaction was recorded)"
    path.write_bytes(GOOD)
    with open_backend("record", path, {}) as backend:
        assert backend.calls == []
    assert path.read_bytes() == GOOD
    assert backend.cassette_note == f"kept {path} unchanged (no interaction was recorded)"


def test_a_recording_that_raises_or_is_kept_leaves_the_old_cassette_byte_for_byte(
    twilio: FakeTrunkingServer, tmp_path: Path
) -> None:
    path = tmp_path / "tape.yaml"
    path.write_bytes(GOOD)
    with pytest.raises(ZeroDivisionError), open_backend("record", path, {}) as backend:
        backend.client().trunking.v1.trunks.create(friendly_name="doomed")
        1 / 0  # noqa: B018
    assert path.read_bytes() == GOOD
    with open_backend("record", path, {}) as backend:
        backend.client().trunking.v1.trunks.list()
        backend.keep_cassette("the test failed")
    assert path.read_bytes() == GOOD
    assert backend.cassette_note == f"kept {path} unchanged (the test failed)"
    assert len(twilio.fake.calls) == 2  # both recordings did reach "Twilio"
    with open_backend("record", path, {}) as backend:
        backend.client().trunking.v1.trunks.list()
    assert [it.path for it in read_cassette(path).interactions] == ["/v1/Trunks"]
    assert backend.cassette_note == f"recorded 1 interaction(s) to {path}"


@pytest.mark.parametrize("mode", ["record", "live"])
def test_calls_and_assert_called_work_in_record_and_live_mode(
    twilio: FakeTrunkingServer, tmp_path: Path, mode: str
) -> None:
    with open_backend(mode, tmp_path / "c.yaml", {}) as backend:
        assert backend.calls == []
        trunk = backend.client().trunking.v1.trunks.create(friendly_name="seen")
        backend.client().trunking.v1.trunks(trunk.sid).fetch()
        assert [(c.method, c.path, c.status) for c in backend.calls] == [
            ("POST", "/v1/Trunks", 201),
            ("GET", f"/v1/Trunks/{trunk.sid}", 200),
        ]
        assert backend.calls[0].url == "https://trunking.twilio.com/v1/Trunks"
        assert backend.calls[0].params == {"FriendlyName": "seen"}
        assert backend.calls[1].body["friendly_name"] == "seen"
        backend.assert_called("POST", "/Trunks", times=1)
        with pytest.raises(AssertionError, match=r"expected DELETE /Trunks/TK\\w\+ to be called"):
            backend.assert_called("DELETE", r"/Trunks/TK\w+")


def test_what_only_the_fake_has_is_a_clear_error_in_the_other_modes(
    twilio: FakeTrunkingServer, tmp_path: Path
) -> None:
    path = tmp_path / "c.yaml"
    with open_backend("record", path, {}) as backend:
        backend.client().trunking.v1.trunks.list()
        for name in ("seed_trunks", "inject_fault", "dump_state", "store", "trunks"):
            with pytest.raises(FakeOnlyError) as info:
                getattr(backend, name)
            assert str(info.value) == (
                f"fake_trunking.{name} needs the in-memory fake (--trunking-mode=fake); this test "
                "runs in record mode. Mark the test @pytest.mark.fake_only to skip it outside "
                "fake mode (calls and assert_called work in every mode)"
            )
        with pytest.raises(AttributeError, match="has no attribute 'no_such_thing'"):
            backend.no_such_thing  # noqa: B018
    with open_backend("replay", path, {}) as replay:
        with pytest.raises(FakeOnlyError, match="runs in replay mode"):
            replay.inject_fault(503)
        replay.client().trunking.v1.trunks.list()
        replay.assert_called("GET", "/v1/Trunks", times=1)


def test_once_replays_an_existing_cassette_and_records_a_missing_one(
    twilio: FakeTrunkingServer, tmp_path: Path
) -> None:
    path = tmp_path / "once.yaml"
    with open_backend("once", path, {}) as backend:  # missing: recorded
        assert backend.mode == "record"
        backend.client().trunking.v1.trunks.create(friendly_name="first")
    recorded = path.read_bytes()
    assert len(twilio.fake.calls) == 1
    twilio.stop()  # replayed from now on: "Twilio" is gone
    with open_backend("once", path, {}) as backend:
        assert backend.mode == "replay"
        assert backend.client().trunking.v1.trunks.create(friendly_name="first").sid
        with pytest.raises(UnmatchedRequest, match="no recorded answer"):
            backend.client().trunking.v1.trunks.create(friendly_name="second")
    assert path.read_bytes() == recorded


DOWNSTREAM = """
    import pytest
    from twilio.base.exceptions import TwilioRestException


    def test_provision(fake_trunking, trunking_client):
        trunks = trunking_client.trunking.v1.trunks
        trunk = trunks.create(friendly_name="edge", domain_name="edge-ds.pstn.twilio.com")
        assert trunk.account_sid == fake_trunking.default_account_sid
        assert trunks(trunk.sid).update(secure=True).secure is True
        ou = trunks(trunk.sid).origination_urls.create(
            weight=1, priority=2, enabled=True, friendly_name="pbx", sip_url="sip:pbx.example.com"
        )
        assert [o.sid for o in trunks(trunk.sid).origination_urls.list()] == [ou.sid]
        with pytest.raises(TwilioRestException) as info:
            trunks.create(domain_name="edge-ds.pstn.twilio.com")
        assert (info.value.status, info.value.code) == (400, 21248)
        trunks(trunk.sid).delete()


    @pytest.mark.trunking_cassette("shared/listing.yaml")
    def test_listing(fake_trunking, trunking_client):
        assert trunking_client.trunking.v1.trunks.list() == []
"""

CHANGED = """
import pytest


@pytest.mark.trunking_cassette("test_downstream/test_provision.yaml")
def test_changed(trunking_client):
    trunking_client.trunking.v1.trunks.create(friendly_name="new")
"""

INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\n"

# --assert=plain: each in-process run would otherwise re-import and rewrite ~75 plugin modules
QUIET = ("-p", "no:randomly", "--assert=plain")

CONFTEST = '''
    import pytest
    from fake_trunking import FakeTrunkingService
    from fake_trunking.pytest_plugin import cassette_path


    @pytest.fixture(autouse=True)
    def save_offline_cassettes(request, fake_trunking):
        """How a suite makes its cassettes offline: the fake's own traffic, saved per test."""
        yield
        if isinstance(fake_trunking, FakeTrunkingService):
            fake_trunking.save_cassette(cassette_path(request))
'''


def test_one_downstream_suite_runs_in_every_mode(
    pytester: pytest.Pytester, twilio: FakeTrunkingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(test_downstream=textwrap.dedent(DOWNSTREAM))
    cassettes = pytester.path / "cassettes"
    provision_tape = cassettes / "test_downstream" / "test_provision.yaml"
    listing_tape = cassettes / "shared" / "listing.yaml"

    # fake mode (the default) writes the cassettes offline through save_cassette
    pytester.makeconftest(textwrap.dedent(CONFTEST))
    pytester.runpytest(*QUIET).assert_outcomes(passed=2)
    assert read_cassette(provision_tape).metadata["source"] == "fake"
    (pytester.path / "conftest.py").unlink()

    # replay answers from those cassettes, with nothing else running
    pytester.runpytest("--trunking-mode=replay", *QUIET).assert_outcomes(passed=2)

    # record against "Twilio" (env FAKE_TRUNKING_MODE works as well as the option)
    monkeypatch.setenv("FAKE_TRUNKING_MODE", "record")
    pytester.runpytest(*QUIET).assert_outcomes(passed=2)
    monkeypatch.delenv("FAKE_TRUNKING_MODE")
    assert read_cassette(provision_tape).metadata["source"] == "live"
    assert read_cassette(listing_tape).interactions[0].status == 200
    assert TOKEN not in provision_tape.read_text() and ACCOUNT not in provision_tape.read_text()
    served = len(twilio.fake.calls)
    assert served == 7

    # live: the same requests again (a new domain is free: the recorded trunk was deleted)
    before = provision_tape.read_bytes()
    pytester.runpytest("--trunking-mode=live", *QUIET).assert_outcomes(passed=2)
    assert len(twilio.fake.calls) == 2 * served
    assert provision_tape.read_bytes() == before

    # replay of the live recording, with "Twilio" gone; a test that makes a request the
    # recording did not make fails, naming the request and the cassette
    twilio.stop()
    pytester.makepyfile(test_changed=CHANGED)
    result = pytester.runpytest("--trunking-mode=replay", *QUIET)
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        ["*replay: no recorded answer for POST /v1/Trunks*FriendlyName=new*test_provision.yaml*"]
    )


def test_replay_mode_without_the_cassette_fails_the_test_clearly(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(
        test_missing="def test_x(trunking_client):\n    trunking_client.trunking.v1.trunks.list()\n"
    )
    result = pytester.runpytest("--trunking-mode=replay", *QUIET)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*test_x.yaml: no such cassette to replay*record*"])


def test_record_with_an_api_key_scans_for_the_key_secret(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    key, secret = "SK" + "4a" * 16, "s3cr3t" + "0a1b2c3d" * 4
    with FakeTrunkingServer(seed=22, api_keys={key: (ACCOUNT, secret)}) as server:
        monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT)
        monkeypatch.setenv("TWILIO_API_KEY", key)
        monkeypatch.setenv("TWILIO_API_SECRET", secret)
        monkeypatch.delenv("TWILIO_AUTH_TOKEN", raising=False)
        monkeypatch.setenv("FAKE_TRUNKING_RECORD_ACCOUNTS", ACCOUNT)
        monkeypatch.setenv("FAKE_TRUNKING_BASE_URL", server.base_url)
        path = tmp_path / "key.yaml"
        with open_backend("record", path, {}) as backend:
            trunk = backend.client().trunking.v1.trunks.create(friendly_name="keyed")
        assert trunk.account_sid == ACCOUNT
        text = path.read_text()
        assert secret not in text and key not in text and ACCOUNT not in text
        with pytest.raises(LeakError), open_backend("record", path, {}) as backend:
            backend.client().trunking.v1.trunks.create(friendly_name=secret)
        assert path.read_text() == text  # the earlier cassette is untouched


def test_a_cassette_vcrpy_recorded_reads_verifies_and_seeds(tmp_path: Path) -> None:
    """Interop the other way: a plain vcrpy cassette (unscrubbed, no metadata) is usable too."""
    path = tmp_path / "vcrpy.yaml"
    with FakeTrunkingServer(seed=23) as server:
        cl = server.fake.seed_credential_list(friendly_name="PBX users")
        with vcr.use_cassette(str(path), record_mode="all"):
            seen = provision(server.client(), cl)
    cassette = read_cassette(path)
    assert cassette.metadata == {} and cassette.accounts == []
    result = verify(path)
    assert result.ok, result.report()
    fresh = FakeTrunkingServer(seed=24).fake
    fresh.load_cassette(path)
    with fresh:
        tk = fresh.client().trunking.v1.trunks(seen["trunk"])
        assert tk.fetch().auth_type == "CREDENTIAL_LIST"
        assert [c.sid for c in tk.credentials_lists.list()] == [cl]


RECORDED_SUITE = """
import pytest


def test_passes(trunking_client):
    trunking_client.trunking.v1.trunks.create(friendly_name="good")


def test_fails(trunking_client):
    trunking_client.trunking.v1.trunks.list()
    assert False, "the test fails"


def test_offline(fake_trunking):
    pass  # no request: nothing to record


def test_skipped(trunking_client):
    trunking_client.trunking.v1.trunks.list()
    pytest.skip("not today")


@pytest.mark.xfail(reason="known")
def test_xfails(trunking_client):
    trunking_client.trunking.v1.trunks.list()
    assert False


@pytest.mark.fake_trunking()
def test_marker_only_fails():
    from twilio.rest import Client

    Client("AC" + "1" * 32, "t")  # the marker alone opens the backend
    raise RuntimeError("boom")
"""


def test_record_mode_replaces_a_cassette_only_when_the_test_passed_and_recorded(
    pytester: pytest.Pytester, twilio: FakeTrunkingServer
) -> None:
    """Issue 13: a failing, offline, skipped or xfailed test keeps its committed cassette byte
    for byte, and the run says so; the passing one is re-recorded."""
    pytester.makeini(INI)
    pytester.makepyfile(test_rec=RECORDED_SUITE)
    names = ("passes", "fails", "offline", "skipped", "xfails", "marker_only_fails")
    tapes = {name: pytester.path / "cassettes" / "test_rec" / f"test_{name}.yaml" for name in names}
    for tape in tapes.values():
        tape.parent.mkdir(parents=True, exist_ok=True)
        tape.write_bytes(GOOD)
    result = pytester.runpytest("--trunking-mode=record", *QUIET)
    result.assert_outcomes(passed=2, failed=2, skipped=1, xfailed=1)  # offline passes
    assert [it.status for it in read_cassette(tapes["passes"]).interactions] == [201]
    for name in names[1:]:
        assert tapes[name].read_bytes() == GOOD, name
    result.stdout.fnmatch_lines(
        [
            "*= fake-trunking cassettes =*",
            "recorded 1 interaction(s) to */cassettes/test_rec/test_passes.yaml",
            "kept */cassettes/test_rec/test_fails.yaml unchanged (the test failed)",
            "kept */cassettes/test_rec/test_offline.yaml unchanged (no interaction was recorded)",
            "kept */cassettes/test_rec/test_skipped.yaml unchanged (the test was skipped)",
            "kept */cassettes/test_rec/test_xfails.yaml unchanged (the test xfailed)",
            "kept */test_marker_only_fails.yaml unchanged (the test failed)",
        ]
    )
    assert len(twilio.fake.calls) == 4  # the requests were made; only the passing one was kept
    tapes["offline"].unlink()  # no old file: none is made either
    pytester.runpytest("--trunking-mode=record", "-k", "offline", *QUIET).assert_outcomes(passed=1)
    assert not tapes["offline"].exists()


ONCE_SUITE = """
def test_recorded_before(trunking_client, fake_trunking):
    trunking_client.trunking.v1.trunks.create(friendly_name="old")
    assert fake_trunking.mode == "replay"


def test_new(trunking_client, fake_trunking):
    trunking_client.trunking.v1.trunks.create(friendly_name="new")
    assert fake_trunking.mode == {mode!r}
    fake_trunking.assert_called("POST", "/Trunks", times=1)
"""


def test_once_mode_replays_what_exists_and_records_what_is_missing(
    pytester: pytest.Pytester, twilio: FakeTrunkingServer
) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(test_once=ONCE_SUITE.format(mode="record"))
    with FakeTrunkingService(seed=4) as offline:
        offline.client().trunking.v1.trunks.create(friendly_name="old")
    existing = pytester.path / "cassettes" / "test_once" / "test_recorded_before.yaml"
    offline.save_cassette(existing)
    before = existing.read_bytes()
    pytester.runpytest("--trunking-mode=once", *QUIET).assert_outcomes(passed=2)
    assert existing.read_bytes() == before  # replayed, not re-recorded
    assert [c.params["FriendlyName"] for c in twilio.fake.calls] == ["new"]  # only the missing
    new = pytester.path / "cassettes" / "test_once" / "test_new.yaml"
    assert read_cassette(new).metadata["source"] == "live"
    twilio.stop()  # from now on both replay, with "Twilio" gone
    pytester.makepyfile(test_once=ONCE_SUITE.format(mode="replay"))
    pytester.runpytest("--trunking-mode=once", *QUIET).assert_outcomes(passed=2)


def test_verify_refuses_a_cassette_with_no_interactions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from fake_trunking import cli

    path = tmp_path / "empty.yaml"
    path.write_bytes(GOOD)
    assert cli.main(["verify", str(path)]) == 2
    out, err = capsys.readouterr()
    assert "agrees" not in out
    assert err == (
        f"fake-trunking verify: error: {path}: no interactions to verify; an empty cassette "
        "proves nothing (re-record it, or delete it)\n"
    )
