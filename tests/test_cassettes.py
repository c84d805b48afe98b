"""Cassettes (issue 4): the format, scrubbing and the leak check, safe reading, atomic writes,
replay (ours and vcrpy's), seeding a fake from a cassette, and ``verify``.

Every round trip drives the fake, the replayer or vcrpy through the real twilio client.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Dict, List, Optional
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
import vcr
import yaml
from twilio.rest import Client

from fake_trunking import FakeTrunkingService
from fake_trunking import cli as fake_cli
from fake_trunking.cassettes import (
    PLACEHOLDER_ACCOUNT,
    Cassette,
    CassetteError,
    Deviation,
    Interaction,
    LeakError,
    Replayer,
    UnmatchedRequest,
    add_scrubber,
    final_state,
    open_backend,
    read_cassette,
    remove_scrubber,
    verify,
    write_cassette,
)
from fake_trunking.cassettes import format as cformat
from fake_trunking.cassettes import replay as creplay
from fake_trunking.cassettes.scrub import find_leaks
from fake_trunking.cassettes.verify import Labels
from fake_trunking.core.messages import Request
from fake_trunking.intercept import responses_mock as _adapter

from .helpers import VCRPY_TOO_OLD, list_error, rest_error, vcrpy_matches_twilio_lists

ROOT = Path(__file__).resolve().parents[1]
WALKTHROUGH = ROOT / "cassettes" / "walkthrough.yaml"
REAL_ACCOUNT = "AC" + "5d" * 16
CANARY = "c4n4ry" + "0123456789abcdef" * 2  # an auth token that must never reach a cassette
VCR_MATCH = ["method", "path", "query", "body"]


def provision(client: Client, cl_sid: Optional[str] = None, pn_sid: Optional[str] = None) -> Any:
    """A small provisioning session; returns what it saw, to compare runs in different modes."""
    trunks = client.trunking.v1.trunks
    trunk = trunks.create(friendly_name="HQ", domain_name="hq-cassette.pstn.twilio.com")
    tk = trunks(trunk.sid)
    updated = tk.update(secure=True, cnam_lookup_enabled=True)
    ou = tk.origination_urls.create(
        weight=10, priority=20, enabled=True, friendly_name="sbc", sip_url="sip:sbc.example.com"
    )
    tk.origination_urls(ou.sid).update(weight=30)
    if cl_sid:
        tk.credentials_lists.create(credential_list_sid=cl_sid)
    if pn_sid:
        tk.phone_numbers.create(phone_number_sid=pn_sid)
    rec = tk.recordings().update(mode="record-from-answer")
    branch = trunks.create(friendly_name="Branch")
    listed = [t.friendly_name for t in trunks.list(page_size=1)]  # follows next_page_url
    taken = rest_error(trunks.create, domain_name="hq-cassette.pstn.twilio.com")
    trunks(branch.sid).delete()
    return {
        "trunk": trunk.sid,
        "secure": updated.secure,
        "ou": (ou.sid, tk.origination_urls(ou.sid).fetch().weight),
        "recording": (rec.mode, rec.trim),
        "auth_type": tk.fetch().auth_type,
        "listed": listed,
        "error": (taken.status, taken.code),
    }


@pytest.fixture
def session(tmp_path: Path) -> Dict[str, Any]:
    """The scenario on a fake with a real-looking account and token, saved as a cassette."""
    fake = FakeTrunkingService(seed=5, credentials={REAL_ACCOUNT: CANARY})
    cl = fake.seed_credential_list(friendly_name="PBX users")
    pn = fake.seed_phone_number(phone_number="+14155550100")
    with fake:
        seen = provision(fake.client(), cl, pn)
    path = fake.save_cassette(tmp_path / "session.yaml")
    return {"fake": fake, "path": path, "seen": seen, "cl": cl, "pn": pn}


def reissue(client: Client, cassette: Cassette) -> List[Any]:
    """Send every recorded request again through the twilio client; return (status, body)."""
    out = []
    for it in cassette.interactions:
        parts = urlsplit(it.uri)
        url = f"https://trunking.twilio.com{parts.path}"
        params = dict(parse_qsl(parts.query, keep_blank_values=True)) or None
        data = dict(it.form()) or None
        response = client.request(it.method, url, params=params, data=data)
        out.append((response.status_code, response.text))
    return out


# -- the format ---------------------------------------------------------------------------------


def test_saved_cassette_is_vcrpy_yaml_with_our_metadata_and_text_bodies(session: Any) -> None:
    text = session["path"].read_text()
    data = yaml.safe_load(text)
    assert data["version"] == 1
    assert set(data) == {"version", "interactions", "metadata"}
    meta = data["metadata"]
    assert meta["source"] == "fake" and meta["last_verified"] is None
    assert meta["twilio"] == "9.13.0" and meta["fake_trunking"]
    assert len(meta["recorded_at"]) == 20 and meta["recorded_at"].endswith("Z")
    first = data["interactions"][0]
    assert set(first) == {"request", "response", "account"}
    assert first["request"]["method"] == "POST"
    assert first["request"]["uri"] == "https://trunking.twilio.com/v1/Trunks"
    assert first["request"]["body"].startswith("FriendlyName=HQ&DomainName=")
    assert first["response"]["status"] == {"code": 201, "message": "Created"}
    assert json.loads(first["response"]["body"]["string"])["friendly_name"] == "HQ"
    assert "!!binary" not in text and "!!python" not in text
    # every call the fake served is there, in order
    assert len(data["interactions"]) == len(session["fake"].calls)


def test_cassette_round_trips_through_our_reader(session: Any) -> None:
    cassette = read_cassette(session["path"])
    again = cformat.loads(cformat.dumps(cassette))
    assert again == cassette
    assert cassette.accounts == [PLACEHOLDER_ACCOUNT]


# -- scrubbing and the leak check ------------------------------------------------------------


def test_scrubbing_removes_auth_and_replaces_the_account_everywhere(session: Any) -> None:
    text = session["path"].read_text()
    # no Authorization header (the CORS Access-Control-Allow-Headers value names it, as Twilio's)
    assert "authorization:" not in text.lower()
    assert REAL_ACCOUNT not in text
    assert find_leaks(text, [CANARY]) == []
    assert base64.b64encode(f"{REAL_ACCOUNT}:{CANARY}".encode()).decode() not in text
    # the placeholder is in URLs (the phone number's API-v2010 link), bodies and the account
    assert f"/Accounts/{PLACEHOLDER_ACCOUNT}/IncomingPhoneNumbers/" in text
    # (the separator depends on the JSON encoder in use: orjson's compact one or json's)
    assert re.search(f'"account_sid": ?"{PLACEHOLDER_ACCOUNT}"', text)
    assert f"account: {PLACEHOLDER_ACCOUNT}" in text


def test_before_save_hook_and_registered_scrubbers(tmp_path: Path) -> None:
    fake = FakeTrunkingService(seed=2)
    number = fake.seed_phone_number(phone_number="+14155550123")
    with fake:
        tk = fake.client().trunking.v1.trunks.create(friendly_name="x")
        fake.client().trunking.v1.trunks(tk.sid).phone_numbers.create(phone_number_sid=number)
        fake.client().trunking.v1.trunks(tk.sid).fetch()

    def hide_numbers(it: Interaction) -> Interaction:
        it.response_body = it.response_body.replace("+14155550123", "+15005550006")
        return it

    def drop_fetches(it: Interaction) -> Optional[Interaction]:
        return None if it.method == "GET" else it

    add_scrubber(hide_numbers)
    try:
        path = fake.save_cassette(tmp_path / "c.yaml", before_save=drop_fetches)
    finally:
        remove_scrubber(hide_numbers)
    cassette = read_cassette(path)
    assert [it.method for it in cassette.interactions] == ["POST", "POST"]
    assert "+14155550123" not in path.read_text()
    assert "+15005550006" in path.read_text()
    # unregistered: the next cassette keeps the number
    assert "+14155550123" in fake.save_cassette(tmp_path / "d.yaml").read_text()


def test_leak_check_refuses_a_cassette_holding_the_token(tmp_path: Path) -> None:
    fake = FakeTrunkingService(seed=3, credentials={REAL_ACCOUNT: CANARY})
    with fake:
        fake.client().trunking.v1.trunks.create(friendly_name=CANARY)  # the token in a body
    target = tmp_path / "c.yaml"
    target.write_text("previous content\n")
    with pytest.raises(LeakError) as info:
        fake.save_cassette(target)
    message = str(info.value)
    assert "nothing was written" in message and "\n" not in message
    assert CANARY not in message
    assert target.read_text() == "previous content\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.yaml"]  # no temporary file left


@pytest.mark.parametrize("prefix", ["", "x", "xy", "AC123:"])
def test_leak_check_finds_base64_forms_at_any_offset(tmp_path: Path, prefix: str) -> None:
    fake = FakeTrunkingService(seed=4, credentials={REAL_ACCOUNT: CANARY})
    with fake:
        fake.client().trunking.v1.trunks.create(friendly_name="ok")
    blob = base64.b64encode(f"{prefix}{CANARY}".encode()).decode()

    def smuggle(it: Interaction) -> Interaction:  # a careless hook puts it back, encoded
        it.request_headers["X-Debug"] = [f"Basic {blob}"]
        return it

    with pytest.raises(LeakError, match="base64"):
        fake.save_cassette(tmp_path / "c.yaml", before_save=smuggle)
    assert not (tmp_path / "c.yaml").exists()


def test_leak_check_also_catches_url_safe_base64_and_url_encoding() -> None:
    token = "ab/cd+ef?gh&ij" * 2
    urlsafe = base64.urlsafe_b64encode(b"-" + token.encode()).decode()
    from urllib.parse import quote

    assert find_leaks(f"x={urlsafe}", [token]) == ["a secret base64-encoded"]
    assert find_leaks(f"x={quote(token, safe='')}", [token]) == ["a secret URL-encoded"]
    assert find_leaks("nothing here", [token]) == []
    assert find_leaks("short", ["short"]) == []  # below 8 characters: not scanned


def test_record_refuses_to_store_a_body_that_is_not_text(tmp_path: Path) -> None:
    with pytest.raises(CassetteError, match="not UTF-8"):
        cformat.body_text(b"\xff\xfe")


# -- hostile and malformed files -----------------------------------------------------------------

HOSTILE = {
    "python_object": '!!python/object/apply:os.system ["touch {marker}"]\n',
    "python_in_body": (
        "version: 1\ninteractions:\n- request: !!python/object/new:os.system [touch {marker}]\n"
    ),
    "bad_yaml": "version: 1\ninteractions: [\n",
    "not_a_mapping": "- just\n- a list\n",
    "wrong_version": "version: 2\ninteractions: []\n",
    "interactions_not_list": "version: 1\ninteractions: {{}}\n",
    "bad_status": (
        "version: 1\ninteractions:\n- request: {{method: GET, uri: 'https://x/v1/Trunks', "
        "body: null, headers: {{}}}}\n  response: {{status: {{code: nope}}, headers: {{}}, "
        "body: {{string: ''}}}}\n"
    ),
    "relative_uri": (
        "version: 1\ninteractions:\n- request: {{method: GET, uri: /v1/Trunks, body: null, "
        "headers: {{}}}}\n  response: {{status: {{code: 200}}, headers: {{}}, "
        "body: {{string: ''}}}}\n"
    ),
    "billion_laughs": (
        "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
        "version: 1\ninteractions: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
    ),
    "deep": "[" * 20000 + "]" * 20000,
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_or_malformed_cassettes_get_a_one_line_error(tmp_path: Path, name: str) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / f"{name}.yaml"
    path.write_text(HOSTILE[name].format(marker=marker))
    with pytest.raises(CassetteError) as info:
        read_cassette(path)
    message = str(info.value)
    assert "\n" not in message and str(path) in message
    fake = FakeTrunkingService()
    with pytest.raises(CassetteError):
        fake.load_cassette(path)
    assert fake.dump_state()["accounts"] == {}
    assert not marker.exists()


def test_binary_and_oversized_files_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "bin.yaml"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(CassetteError, match="not UTF-8"):
        read_cassette(path)
    monkeypatch.setattr(cformat, "MAX_BYTES", 10)
    path.write_text("version: 1\ninteractions: []\n")
    with pytest.raises(CassetteError, match="larger than"):
        read_cassette(path)
    with pytest.raises(CassetteError, match="no such cassette"):
        read_cassette(tmp_path / "missing.yaml")


def test_verify_cli_refuses_hostile_files_without_a_traceback(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.yaml"
    path.write_text(HOSTILE["python_object"].format(marker=marker))
    result = subprocess.run(
        [sys.executable, "-m", "fake_trunking", "verify", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "refused" in result.stderr and str(path) in result.stderr
    assert not marker.exists()


# -- atomic writes ---------------------------------------------------------------------------------


def _big_cassette(label: str, n: int) -> Cassette:
    body = json.dumps({"label": label, "pad": label * 2000})
    return Cassette(
        [
            Interaction("GET", f"https://trunking.twilio.com/v1/Trunks?i={i}", response_body=body)
            for i in range(n)
        ],
        {"source": "fake", "label": label},
    )


def test_parallel_writers_never_leave_half_a_cassette(tmp_path: Path) -> None:
    target = tmp_path / "shared.yaml"
    cassettes = {label: _big_cassette(label, 40) for label in "ABCD"}
    write_cassette(target, cassettes["A"])
    stop = threading.Event()
    seen: List[str] = []
    problems: List[str] = []

    def writer(label: str) -> None:
        while not stop.is_set():
            write_cassette(target, cassettes[label])

    def reader() -> None:
        for _ in range(60):
            try:
                cassette = read_cassette(target)
            except CassetteError as exc:
                problems.append(str(exc))
                continue
            seen.append(cassette.metadata["label"])
            if len(cassette.interactions) != 40:
                problems.append("short cassette")

    threads = [threading.Thread(target=writer, args=(label,)) for label in "ABCD"]
    for t in threads:
        t.start()
    try:
        reader()
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert problems == []
    assert len(seen) == 60
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shared.yaml"]


def test_a_failed_write_keeps_the_previous_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "c.yaml"
    write_cassette(target, _big_cassette("A", 2))
    before = target.read_bytes()

    def disk_full(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cformat.os, "replace", disk_full)
    with pytest.raises(CassetteError, match="cannot write: No space left on device"):
        write_cassette(target, _big_cassette("B", 2))
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.yaml"]
    monkeypatch.undo()
    blocked = tmp_path / "file"
    blocked.write_text("")
    with pytest.raises(CassetteError, match="cannot write"):
        write_cassette(blocked / "c.yaml", _big_cassette("C", 1))


# -- replay: vcrpy's and ours ---------------------------------------------------------------------


@pytest.mark.skipif(not vcrpy_matches_twilio_lists(), reason=VCRPY_TOO_OLD)
def test_vcrpy_alone_replays_our_cassette_through_the_twilio_client(session: Any) -> None:
    client = Client(REAL_ACCOUNT, "any-token")
    with vcr.use_cassette(str(session["path"]), record_mode="none", match_on=VCR_MATCH) as tape:
        seen = provision(client, session["cl"], session["pn"])
        assert tape.all_played
    assert seen == session["seen"]


@pytest.mark.skipif(not vcrpy_matches_twilio_lists(), reason=VCRPY_TOO_OLD)
def test_vcrpy_replays_the_shipped_walkthrough() -> None:
    cassette = read_cassette(WALKTHROUGH)
    client = Client(PLACEHOLDER_ACCOUNT, "any-token")
    with vcr.use_cassette(str(WALKTHROUGH), record_mode="none", match_on=VCR_MATCH) as tape:
        answers = reissue(client, cassette)
        assert tape.all_played
    assert answers == [(it.status, it.response_body) for it in cassette.interactions]


def test_our_replay_serves_the_same_session_without_a_fake(session: Any) -> None:
    with open_backend("replay", session["path"], {}) as backend:
        assert backend.mode == "replay"
        assert backend.default_account_sid == PLACEHOLDER_ACCOUNT
        seen = provision(backend.client(), session["cl"], session["pn"])
        assert backend.replayer.unplayed == []
    assert seen == session["seen"]


def test_shipped_walkthrough_replays_through_our_replayer() -> None:
    cassette = read_cassette(WALKTHROUGH)
    assert cassette.metadata["source"] == "fake"
    with open_backend("replay", WALKTHROUGH, {}) as backend:
        answers = reissue(backend.client(), cassette)
    assert answers == [(it.status, it.response_body) for it in cassette.interactions]


def _get(path: str, body: str = "", query: str = "", method: str = "GET") -> Request:
    headers = {"content-type": "application/x-www-form-urlencoded"} if body else {}
    return Request(method, path, query, body.encode(), headers)


def _recorded(method: str, uri: str, body: Optional[str], answer: Dict[str, Any]) -> Interaction:
    headers = {"Content-Type": ["application/x-www-form-urlencoded"]} if body else {}
    return Interaction(method, uri, headers, body, 200, "OK", {}, json.dumps(answer))


def test_replay_matches_parsed_parameters_in_any_order_and_repeats_in_recorded_order() -> None:
    base = "https://trunking.twilio.com/v1/Trunks"
    cassette = Cassette(
        [
            _recorded("POST", base, "FriendlyName=a&Secure=true", {"n": 1}),
            _recorded("GET", f"{base}/TK1", None, {"n": 2}),
            _recorded("GET", f"{base}?PageSize=2&Page=0", None, {"n": 3}),
            _recorded("GET", f"{base}/TK1", None, {"n": 4}),
        ]
    )
    replayer = Replayer(cassette, "c.yaml")
    post = replayer.handle(_get("/v1/Trunks", "Secure=true&FriendlyName=a", method="POST"))
    assert post.json() == {"n": 1}
    assert replayer.handle(_get("/v1/Trunks", query="Page=0&PageSize=2")).json() == {"n": 3}
    assert replayer.handle(_get("/v1/Trunks/TK1")).json() == {"n": 2}
    assert replayer.handle(_get("/v1/Trunks/TK1")).json() == {"n": 4}
    with pytest.raises(UnmatchedRequest, match="answered all 2 time"):
        replayer.handle(_get("/v1/Trunks/TK1"))


def test_replay_miss_names_the_request_the_cassette_and_the_closest_requests(session: Any) -> None:
    with open_backend("replay", session["path"], {}) as backend:
        trunks = backend.client().trunking.v1.trunks
        with pytest.raises(UnmatchedRequest) as info:
            trunks.create(friendly_name="HQ", domain_name="other.pstn.twilio.com")
    message = str(info.value)
    assert "POST /v1/Trunks [DomainName=other.pstn.twilio.com&FriendlyName=HQ]" in message
    assert str(session["path"]) in message
    assert "closest recorded: POST /v1/Trunks [DomainName=hq-cassette.pstn.twilio.com" in message


def test_replay_lookup_is_indexed(session: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A hit costs one key and one dict lookup: no recorded interaction is looked at again."""
    replayer = Replayer(read_cassette(session["path"]))
    looked_at: List[Any] = []
    original = creplay.interaction_key
    monkeypatch.setattr(creplay, "interaction_key", lambda it: looked_at.append(it) or original(it))
    mock = _adapter.start(replayer)
    try:
        provision(Client(PLACEHOLDER_ACCOUNT, "t"), session["cl"], session["pn"])
    finally:
        _adapter.stop(replayer, mock)
    assert looked_at == []
    assert replayer.unplayed == []


def test_replay_blocks_other_hosts(session: Any) -> None:
    with open_backend("replay", session["path"], {}), pytest.raises(requests.ConnectionError):
        requests.get("https://messaging.twilio.com/v1/Services", timeout=5)


def test_replay_without_a_cassette_is_a_clear_error(tmp_path: Path) -> None:
    with (
        pytest.raises(CassetteError, match="no such cassette to replay"),
        open_backend("replay", tmp_path / "nope.yaml", {}),
    ):
        pass  # pragma: no cover


# -- seeding a fake from a cassette ------------------------------------------------------------


def _api_view(fake: FakeTrunkingService) -> Dict[str, Any]:
    """Every trunk and sub-resource as the API shows them (JSON, fetched with the twilio client),
    without the account SID, for comparing two fakes."""
    client = fake.client()

    def get(path: str) -> Any:
        response = client.request("GET", f"https://trunking.twilio.com/v1/{path}")
        assert response.status_code == 200, response.text
        return json.loads(response.text.replace(fake.default_account_sid, "AC-owner"))

    out: Dict[str, Any] = {}
    for trunk in get("Trunks")["trunks"]:
        sid = trunk["sid"]
        out[sid] = {"trunk": trunk, "recording": get(f"Trunks/{sid}/Recording")}
        for segment in ("OriginationUrls", "CredentialLists", "IpAccessControlLists"):
            out[sid][segment] = get(f"Trunks/{sid}/{segment}")
        out[sid]["PhoneNumbers"] = get(f"Trunks/{sid}/PhoneNumbers")
    return out


def test_load_cassette_seeds_the_final_state_and_it_can_be_changed(session: Any) -> None:
    original: FakeTrunkingService = session["fake"]
    with original:
        expected = _api_view(original)
    fresh = FakeTrunkingService(seed=99)
    fresh.load_cassette(session["path"])
    assert list(fresh.dump_state()["accounts"]) == [fresh.default_account_sid]
    with fresh:
        assert _api_view(fresh) == expected
        trunks = fresh.client().trunking.v1.trunks
        tk = trunks(session["seen"]["trunk"])
        assert tk.update(friendly_name="renamed").friendly_name == "renamed"
        assert tk.phone_numbers(session["pn"]).fetch().phone_number == "+14155550100"
        tk.delete()
        assert [t.sid for t in trunks.list()] == []
        # the deleted trunk's domain is free again, and its number can move to another trunk
        other = trunks.create(domain_name="hq-cassette.pstn.twilio.com")
        trunks(other.sid).phone_numbers.create(phone_number_sid=session["pn"])


def test_final_state_follows_deletes_and_moves(tmp_path: Path) -> None:
    fake = FakeTrunkingService(seed=8)
    pn = fake.seed_phone_number()
    with fake:
        trunks = fake.client().trunking.v1.trunks
        a, b = trunks.create(friendly_name="a"), trunks.create(friendly_name="b")
        trunks(a.sid).phone_numbers.create(phone_number_sid=pn)
        trunks(b.sid).phone_numbers.create(phone_number_sid=pn)  # moves it
        ou = trunks(a.sid).origination_urls.create(
            weight=1, priority=1, enabled=False, friendly_name="o", sip_url="sip:o.example.com"
        )
        trunks(a.sid).origination_urls(ou.sid).delete()
        trunks.create(friendly_name="c").delete()
    cassette = read_cassette(fake.save_cassette(tmp_path / "c.yaml"))
    state = final_state(cassette, "AC" + "1" * 32)
    account = state["accounts"]["AC" + "1" * 32]
    assert [t["friendly_name"] for t in account["trunks"]] == ["a", "b"]
    assert account["origination_urls"] == {}
    assert account["phone_numbers"] == {b.sid: [pn]}
    assert account["registry"]["PN"][0]["trunk_sid"] == b.sid


# -- verify ----------------------------------------------------------------------------------------


def test_verify_agrees_with_a_cassette_the_fake_wrote(session: Any) -> None:
    result = verify(session["path"])
    assert result.ok, result.report()
    assert len(result.interactions) == len(session["fake"].calls)
    assert result.report().endswith(f"the fake agrees ({len(result.interactions)} interactions)")


def test_verify_the_shipped_walkthrough(capsys: pytest.CaptureFixture[str]) -> None:
    assert fake_cli.main(["verify", str(WALKTHROUGH)]) == 0
    out = capsys.readouterr().out
    assert "source fake" in out and "the fake agrees" in out
    assert "POST /v1/Trunks/<TK:1>/OriginationUrls" in out


def _tamper(path: Path, index: int, change: Any) -> None:
    data = yaml.safe_load(path.read_text())
    response = data["interactions"][index]["response"]
    body = json.loads(response["body"]["string"])
    change(response, body)
    response["body"]["string"] = json.dumps(body)
    path.write_text(yaml.safe_dump(data))


def test_verify_names_every_field_a_tampered_cassette_changes(
    session: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    path = session["path"]
    cassette = read_cassette(path)
    conflict = next(i for i, it in enumerate(cassette.interactions) if it.status == 400)

    def trunk_changes(response: Dict[str, Any], body: Dict[str, Any]) -> None:
        body["friendly_name"] = "Not HQ"
        del body["cnam_lookup_enabled"]
        body["shiny_new_field"] = True
        body["links"]["origination_urls"] = body["links"]["origination_urls"].replace("v1", "v2")

    def error_changes(response: Dict[str, Any], body: Dict[str, Any]) -> None:
        body["code"] = 21245
        response["status"]["code"] = 409

    _tamper(path, 1, trunk_changes)
    _tamper(path, conflict, error_changes)
    result = verify(path)
    assert not result.ok
    found = {(d.index, d.field, d.kind) for d in result.differences}
    assert found == {
        (2, "body.friendly_name", "value"),
        (2, "body.cnam_lookup_enabled", "extra"),  # only the fake answers it now
        (2, "body.shiny_new_field", "missing"),  # recorded, not in the fake's answer
        (2, "body.links.origination_urls", "value"),
        (conflict + 1, "status", "status"),
        (conflict + 1, "body.code", "value"),
    }
    assert fake_cli.main(["verify", str(path)]) == 1
    out = capsys.readouterr().out
    assert "body.friendly_name: recorded 'Not HQ', fake 'HQ'" in out
    assert "body.code: recorded 21245, fake 21248" in out
    assert "status: recorded 409, fake 400" in out
    assert "DIFFERS" in out and "fields: body.cnam_lookup_enabled, body.code" in out

    deviations = path.parent / "known.yaml"
    deviations.write_text(
        "deviations:\n"
        "  - field: body.friendly_name\n    request: 'POST /v1/Trunks/<TK:1>'\n"
        "    reason: renamed by hand in this test\n"
        "  - {field: body.cnam_lookup_enabled, reason: not returned by this fixture}\n"
        "  - {field: body.shiny_new_field, reason: a field Twilio added}\n"
        "  - {field: 'body.links.*', reason: links differ}\n"
        "  - {field: status, cassette: 'session.yaml', reason: tampered}\n"
        "  - {field: body.code, reason: tampered}\n"
        "  - {field: body.never, reason: unused}\n"
    )
    assert fake_cli.main(["verify", str(path), "--known-deviations", str(deviations)]) == 0
    out = capsys.readouterr().out
    assert "known deviation(s)" in out and "not needed by these cassettes: body.never" in out
    narrow = [Deviation("body.friendly_name", "only for another request", "GET /v1/Trunks*")]
    assert "body.friendly_name" in {d.field for d in verify(path, narrow).differences}


def test_bad_known_deviation_files_are_one_line_errors(
    session: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for text in ("deviations: [{field: x}]\n", "deviations: 3\n", "[{field: x, reason: y, z: 1}]"):
        bad = tmp_path / "bad.yaml"
        bad.write_text(text)
        assert fake_cli.main(["verify", str(session["path"]), "--known-deviations", str(bad)]) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and str(bad) in err


def test_verify_starts_from_objects_the_session_used_but_did_not_create(tmp_path: Path) -> None:
    fake = FakeTrunkingService(seed=11)
    existing = fake.seed_trunks(count=2)
    gone = fake.seed_trunks(count=1)[0]
    al = fake.seed_ip_access_control_list(friendly_name="office")
    with fake:
        trunks = fake.client().trunking.v1.trunks
        trunks(existing[0]).update(friendly_name="renamed")
        trunks(existing[1]).ip_access_control_lists.create(ip_access_control_list_sid=al)
        trunks(gone).delete()  # never shown before it went
        trunks.list()
    path = fake.save_cassette(tmp_path / "pre.yaml")
    result = verify(path)
    assert result.ok, result.report()


def test_labels_normalise_sids_by_reference_dates_and_request_ids() -> None:
    left, right = Labels(), Labels()
    a = {
        "sid": "TK" + "a" * 32,
        "url": "https://trunking.twilio.com/v1/Trunks/" + "TK" + "a" * 32,
        "other": "TK" + "b" * 32,
        "date_created": "2024-01-01T00:00:00Z",
        "next": "https://x/v1/Trunks?PageToken=PA" + "TK" + "b" * 32,
        "rq": "RQ" + "0" * 32,
    }
    b = {k: v.replace("a" * 32, "1" * 32).replace("b" * 32, "2" * 32) for k, v in a.items()}
    b["date_created"] = "2031-12-31T23:59:59Z"
    b = dict(reversed(list(b.items())))  # key order does not matter
    assert left.normalise(a) == right.normalise(b)
    # keys are walked in sorted order: "next" names TK…b first
    assert left.normalise(a)["other"] == "<TK:1>" and left.normalise(a)["sid"] == "<TK:2>"
    assert left.normalise(a)["next"].endswith("PageToken=PA<TK:1>")
    assert left.normalise(a)["rq"] == "<request-id>"


def test_importing_the_package_does_not_import_yaml_or_vcrpy() -> None:
    code = (
        "import sys, fake_trunking, fake_trunking.cassettes\n"
        "from fake_trunking import FakeTrunkingService\n"
        "bad = [m for m in ('yaml', 'vcr') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_calls_an_injected_exception_cut_off_are_left_out(tmp_path: Path) -> None:
    fake = FakeTrunkingService(seed=12)
    with fake:
        trunks = fake.client().trunking.v1.trunks
        fake.inject_fault(exception=requests.ConnectionError, method="GET")
        with pytest.raises(requests.ConnectionError):
            trunks.list()
        fake.inject_fault(429, method="GET", retry_after=1)
        assert list_error(trunks.list)[0] == 429
        trunks.create(friendly_name="after")
    cassette = read_cassette(fake.save_cassette(tmp_path / "c.yaml"))
    assert [(it.method, it.status) for it in cassette.interactions] == [("GET", 429), ("POST", 201)]


def test_readme_cassette_examples_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import re

    text = (ROOT / "docs" / "cassettes.md").read_text()  # the cassettes page of the docs
    code = "\n".join(re.findall(r"```python\n(.*?)```", text, re.DOTALL))
    assert "save_cassette" in code and "open_backend" in code and "verify(" in code
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "docs/cassettes.md", "exec"), {"__name__": "readme"})
