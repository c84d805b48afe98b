"""Fidelity rows of issue 18 (items 1-5), through the real twilio client, ``requests``, aiohttp
and server mode: the 30-day domain reservation (``domain_reservation_days``), the CORS headers
the spec declares and the preflight, ``SipUrl`` as a SIP URI, one case rule for DomainName, and
the settled rows (``voice_application_sid``, ``Weight=0``, 21249, Recording case)."""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import time
from typing import Any, Dict, Iterator

import pytest
import requests

from fake_trunking import FakeTrunkingService
from fake_trunking.core.sipuri import problem
from fake_trunking.options import KeywordError
from fake_trunking.server.cli import add_arguments, serve
from fake_trunking.server.http import FakeTrunkingServer

from .helpers import Clock, basic, raw, rest_error

TRUNKS = "https://trunking.twilio.com/v1/Trunks"
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Headers": (
        "Accept, Authorization, Content-Type, If-Match, If-Modified-Since, If-None-Match, "
        "If-Unmodified-Since, Idempotency-Key"
    ),
    "Access-Control-Allow-Methods": "GET, POST, DELETE, OPTIONS",
    "Access-Control-Expose-Headers": "ETag",
    "Access-Control-Allow-Credentials": "true",
}
PREFLIGHT = {
    "Origin": "https://app.example.com",
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization, content-type",
}
OTHER = "AC" + "b" * 32


def has_cors(headers: Any) -> bool:
    return all(headers.get(name) == value for name, value in CORS.items())


def make_ou(tk: Any, **kwargs: Any) -> Any:
    fields: Dict[str, Any] = dict(
        weight=1, priority=1, enabled=True, friendly_name="o", sip_url="sip:pbx@example.com"
    )
    fields.update(kwargs)
    return tk.origination_urls.create(**fields)


@pytest.fixture
def tk(trunks: Any) -> Any:
    return trunks(trunks.create().sid)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def reserving(clock: Clock) -> Iterator[FakeTrunkingService]:
    with FakeTrunkingService(seed=5, clock=clock, domain_reservation_days=30) as fake:
        yield fake


# -- 1. the domain reservation ----------------------------------------------------------------


def test_a_deleted_domain_stays_taken_for_every_account_until_its_days_pass(
    reserving: FakeTrunkingService, clock: Clock
) -> None:
    mine, theirs = reserving.client(), reserving.client(OTHER)
    trunk = mine.trunking.v1.trunks.create(domain_name="keep.pstn.twilio.com")
    mine.trunking.v1.trunks(trunk.sid).delete()
    spare = theirs.trunking.v1.trunks.create(friendly_name="spare")
    for attempt in (
        lambda: mine.trunking.v1.trunks.create(domain_name="keep.pstn.twilio.com"),
        lambda: theirs.trunking.v1.trunks.create(domain_name="KEEP.pstn.twilio.com"),
        lambda: theirs.trunking.v1.trunks(spare.sid).update(domain_name="keep.pstn.twilio.com"),
    ):
        err = rest_error(attempt)
        assert (err.status, err.code) == (400, 21248)
        assert err.msg.endswith(": Trunk Domain already taken")
    clock.advance(days=29, hours=23, minutes=59)
    assert rest_error(mine.trunking.v1.trunks.create, domain_name="keep.pstn.twilio.com").code == (
        21248
    )
    clock.advance(minutes=1)
    again = theirs.trunking.v1.trunks.create(domain_name="keep.pstn.twilio.com")
    assert again.domain_name == "keep.pstn.twilio.com"


def test_without_the_keyword_a_deleted_domain_is_free_at_once(fake: FakeTrunkingService) -> None:
    trunks = fake.client().trunking.v1.trunks
    trunks(trunks.create(domain_name="free.pstn.twilio.com").sid).delete()
    assert trunks.create(domain_name="free.pstn.twilio.com").domain_name == "free.pstn.twilio.com"


def test_only_a_delete_reserves_a_renamed_or_cleared_domain_is_free(
    reserving: FakeTrunkingService,
) -> None:
    trunks = reserving.client().trunking.v1.trunks
    trunk = trunks.create(domain_name="old.pstn.twilio.com")
    trunks(trunk.sid).update(domain_name="new.pstn.twilio.com")
    assert trunks.create(domain_name="old.pstn.twilio.com").domain_name == "old.pstn.twilio.com"
    trunks(trunk.sid).update(domain_name="")
    assert trunks.create(domain_name="new.pstn.twilio.com").domain_name == "new.pstn.twilio.com"


def test_reservations_survive_dump_and_load_and_expire_out_of_the_dump(
    reserving: FakeTrunkingService, clock: Clock
) -> None:
    trunks = reserving.client().trunking.v1.trunks
    trunks(trunks.create(domain_name="Kept.PSTN.twilio.com").sid).delete()
    snapshot = reserving.dump_state()
    assert snapshot["reserved_domains"] == {"kept.pstn.twilio.com": "2024-06-05T07:08:09Z"}
    with FakeTrunkingService(seed=6, clock=clock) as other:
        other.load_state(snapshot)  # the reservation holds whatever the keyword of the loader
        err = rest_error(
            other.client().trunking.v1.trunks.create, domain_name="kept.pstn.twilio.com"
        )
        assert err.code == 21248
        clock.advance(days=30)
        assert "reserved_domains" not in other.dump_state()
        assert other.client().trunking.v1.trunks.create(domain_name="kept.pstn.twilio.com").sid


@pytest.mark.parametrize(
    ("reserved", "problem_text"),
    [
        ([], "reserved_domains: not an object"),
        ({"Kept.pstn.twilio.com": "2024-06-05T07:08:09Z"}, "not a lower-cased name"),
        ({"kept.example.com": "2024-06-05T07:08:09Z"}, "DomainName must be"),
        ({"kept.pstn.twilio.com": "tomorrow"}, "not a date"),
        ({"kept.pstn.twilio.com": "2024-02-30T07:08:09Z"}, "not a date"),
        ({"live.pstn.twilio.com": "2024-06-05T07:08:09Z"}, "also a live trunk's"),
    ],
)  # fmt: skip
def test_a_bad_reservation_in_a_snapshot_is_refused_and_changes_nothing(
    reserving: FakeTrunkingService, reserved: Any, problem_text: str
) -> None:
    reserving.client().trunking.v1.trunks.create(domain_name="live.pstn.twilio.com")
    before = reserving.dump_state()
    bad = dict(before, reserved_domains=reserved)
    with pytest.raises(ValueError, match="reserved_domains") as info:
        reserving.load_state(bad)
    assert problem_text in str(info.value)
    assert reserving.dump_state() == before


def test_expired_reservations_are_swept_so_churn_does_not_grow_the_table(
    reserving: FakeTrunkingService, clock: Clock
) -> None:
    trunks = reserving.client().trunking.v1.trunks
    for i in range(10):
        trunks(trunks.create(domain_name=f"a{i}.pstn.twilio.com").sid).delete()
    clock.advance(days=31)
    for i in range(10):
        trunks(trunks.create(domain_name=f"b{i}.pstn.twilio.com").sid).delete()
    assert sorted(reserving.store.reserved_domains) == [f"b{i}.pstn.twilio.com" for i in range(10)]


@pytest.mark.parametrize("value", [-1, 36_501, "30", 2.5, True, None])
def test_domain_reservation_days_is_checked_up_front(value: Any) -> None:
    with pytest.raises(KeywordError, match="domain_reservation_days"):
        FakeTrunkingService(domain_reservation_days=value)


def test_serve_options_parse_and_refuse_bad_values(capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="fake-trunking serve")
    add_arguments(parser)
    args = parser.parse_args(
        ["--domain-reservation-days", "30", "--max-origination-urls-per-trunk", "10"]
    )
    assert (args.domain_reservation_days, args.max_origination_urls_per_trunk) == (30, 10)
    defaults = parser.parse_args([])
    assert (defaults.domain_reservation_days, defaults.max_origination_urls_per_trunk) == (0, None)
    for bad in (["--domain-reservation-days", "-3"], ["--max-origination-urls-per-trunk", "x"]):
        with pytest.raises(SystemExit) as info:
            parser.parse_args(bad)
        assert info.value.code == 2
        assert f"argument {bad[0]}: must be an integer" in capsys.readouterr().err


def test_serve_passes_both_options_to_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    import fake_trunking.server.http

    made: Dict[str, Any] = {}

    class Stub:
        state_file = None

        def __init__(self, **kwargs: Any) -> None:
            made.update(kwargs)

        def start(self) -> None:
            raise OSError("stub: not listening")

    monkeypatch.setattr(fake_trunking.server.http, "FakeTrunkingServer", Stub)
    parser = argparse.ArgumentParser(prog="fake-trunking serve")
    add_arguments(parser)
    args = parser.parse_args(
        ["--domain-reservation-days", "30", "--max-origination-urls-per-trunk", "4"]
    )
    assert serve(args, out=io.StringIO(), err=io.StringIO()) == 1
    assert (made["domain_reservation_days"], made["max_origination_urls_per_trunk"]) == (30, 4)


def test_server_mode_takes_the_reservation_and_the_cap() -> None:
    with FakeTrunkingServer(
        seed=2, domain_reservation_days=1, max_origination_urls_per_trunk=1
    ) as server:
        trunks = server.client().trunking.v1.trunks
        trunk = trunks.create(domain_name="srv.pstn.twilio.com")
        make_ou(trunks(trunk.sid))
        assert rest_error(make_ou, trunks(trunk.sid)).code == 21249
        trunks(trunk.sid).delete()
        assert rest_error(trunks.create, domain_name="srv.pstn.twilio.com").code == 21248


def test_a_state_file_keeps_the_reservation_across_restarts(tmp_path: Any) -> None:
    state = tmp_path / "state.json"
    with FakeTrunkingServer(seed=7, state_file=state, domain_reservation_days=30) as server:
        trunks = server.client().trunking.v1.trunks
        trunks(trunks.create(domain_name="gone.pstn.twilio.com").sid).delete()
        account = server.fake.default_account_sid
    assert '"reserved_domains"' in state.read_text()
    with FakeTrunkingServer(seed=8, state_file=state, credentials=None) as again:
        trunks = again.client(account).trunking.v1.trunks
        assert rest_error(trunks.create, domain_name="gone.pstn.twilio.com").code == 21248


# -- 2. the headers the spec declares, and the preflight ------------------------------------


def test_every_answer_carries_twilios_cors_headers_through_the_twilio_client(
    fake: FakeTrunkingService,
) -> None:
    trunks = fake.client().trunking.v1.trunks
    created = trunks.create_with_http_info(friendly_name="cors")
    assert created.status_code == 201 and has_cors(created.headers)
    sid = created.data.sid
    fetched = trunks(sid).fetch_with_http_info()
    assert fetched.status_code == 200 and has_cors(fetched.headers)
    deleted = trunks(sid).delete_with_http_info()
    assert deleted.status_code == 204 and has_cors(deleted.headers)
    rest_error(trunks(sid).fetch)
    assert fake.calls[-1].status == 404 and has_cors(fake.calls[-1].response.headers)


def test_cors_headers_through_requests_and_aiohttp(fake: FakeTrunkingService) -> None:
    auth = (fake.default_account_sid, fake.auth_token())
    answer = requests.post(TRUNKS, data={"FriendlyName": "x"}, auth=auth, timeout=5)
    assert answer.status_code == 201 and has_cors(answer.headers)
    refused = requests.get(TRUNKS, timeout=5)  # no credentials
    assert refused.status_code == 401 and has_cors(refused.headers)
    aiohttp = pytest.importorskip("aiohttp")

    async def fetch() -> Any:
        authorization = {"Authorization": basic(*auth)}
        async with (
            aiohttp.ClientSession() as session,
            session.get(TRUNKS, headers=authorization) as response,
        ):
            return response.status, dict(response.headers)

    status, headers = asyncio.run(fetch())
    assert status == 200 and has_cors(headers)


def test_a_preflight_is_answered_without_credentials_and_changes_nothing(
    fake: FakeTrunkingService,
) -> None:
    fake.client().trunking.v1.trunks.create(friendly_name="x")
    before = fake.dump_state()
    answer = requests.options(TRUNKS, headers=PREFLIGHT, timeout=5)
    assert answer.status_code == 200 and answer.content == b""
    assert has_cors(answer.headers) and answer.headers["Twilio-Request-Id"].startswith("RQ")
    assert "Content-Type" not in answer.headers
    missing = requests.options(f"{TRUNKS}/TK{'0' * 32}/OriginationUrls", headers=PREFLIGHT)
    assert missing.status_code == 200  # the request it announces gets its own 404
    assert fake.dump_state() == before
    assert [c.method for c in fake.calls[-2:]] == ["OPTIONS", "OPTIONS"]


def test_options_without_a_preflight_header_is_still_405(fake: FakeTrunkingService) -> None:
    response = raw(fake, "OPTIONS", "/v1/Trunks")
    assert (response.status, response.json()["code"]) == (405, 20004)
    assert has_cors(response.headers)


def test_a_browser_page_can_call_server_mode_but_not_its_admin_endpoints() -> None:
    with FakeTrunkingServer(seed=4) as server, requests.Session() as http:
        base = server.base_url
        preflight = http.options(f"{base}/v1/Trunks", headers=PREFLIGHT, timeout=5)
        assert preflight.status_code == 200 and has_cors(preflight.headers)
        sid = server.fake.default_account_sid
        posted = http.post(
            f"{base}/v1/Trunks",
            data={"FriendlyName": "from a page"},
            headers={"Origin": PREFLIGHT["Origin"]},
            auth=(sid, server.fake.auth_token()),
            timeout=5,
        )
        assert posted.status_code == 201 and has_cors(posted.headers)
        assert server.fake.dump_state()["accounts"][sid]["trunks"][0]["friendly_name"] == (
            "from a page"
        )
        # the admin endpoints never tell a browser that another origin may read them
        for method in ("OPTIONS", "GET"):
            admin = http.request(method, f"{base}/__fake__/info", headers=PREFLIGHT, timeout=5)
            assert "Access-Control-Allow-Origin" not in admin.headers, method


def test_a_preflight_is_not_a_write_for_state_sync(tmp_path: Any) -> None:
    state = tmp_path / "state.json"  # created by the first save
    with FakeTrunkingServer(seed=4, state_file=state, state_sync=True) as server:
        answer = requests.options(f"{server.base_url}/v1/Trunks", headers=PREFLIGHT, timeout=5)
        assert answer.status_code == 200
        assert not state.exists()


def test_saved_cassettes_carry_the_headers_and_stay_the_same_run_after_run(
    tmp_path: Any,
) -> None:
    texts = []
    for run in range(2):
        with FakeTrunkingService(seed=9, clock=Clock()) as fake:
            trunks = fake.client().trunking.v1.trunks
            trunks(trunks.create(friendly_name="c").sid).fetch()
            text = fake.save_cassette(tmp_path / f"run{run}.yaml").read_text()
            # the metadata's recorded_at is the wall clock of the save: the rest must repeat
            texts.append(re.sub(r"recorded_at: \S+", "recorded_at: <when>", text))
    assert texts[0] == texts[1]
    assert "Access-Control-Allow-Origin" in texts[0] and "authorization:" not in texts[0].lower()


# -- 3. SipUrl is a SIP URI -------------------------------------------------------------------

SIP_RULE = (
    "Invalid SipUrl: must be a SIP URI sip:[user@]host[:port][;params] (RFC 3261) in printable "
    "ASCII without whitespace: "
)
GOOD_SIP = [
    "sip:pbx@example.com", "sip:example.com", "SIP:Alice@Example.COM:5060;transport=tcp",
    "sip:192.168.1.1:5060;edge=ashburn", "sip:[2001:db8::1]:5061", "sip://sip-box.com:1234",
    "sip:+15551234567@carrier.example.com;user=phone", "sip:a%40b@example.com?subject=x",
]  # fmt: skip
BAD_SIP = [
    ("sip:has space@example.com", "it has whitespace or a character that is not printable ASCII"),
    ("sip:pbx@example.com\n", "it has whitespace or a character that is not printable ASCII"),
    ("sip:@example.com", "the user before @ is empty"),
    ("sip:a@b@example.com", "it has more than one @"),
    ("sip:pbx@", "it has no host"),
    ("sip:pbx@exa_mple.com", "the host has a character that is not a letter, digit, '-' or '.'"),
    ("sip:pbx@example..com", "the host has an empty label"),
    ("sip:pbx@example.com:70000", "the port is not a number from 1 to 65535"),
    ("sip:pbx@300.1.1.1", "the host is not a valid IPv4 address"),
    ("sip:pbx@[::g]", "the host is not a valid IPv6 address"),
    ("sip:pbx@example.com;transport", None),
    ("sip:pbx@example.com;=tcp", "a ;parameter is not name or name=value"),
    ("sip:pbx@example.com?subject", "a ?header is not name=value"),
    ("sip:p%zzx@example.com", "a % is not followed by two hex digits"),
    ("sips:pbx@example.com", "sips: is not supported"),
]  # fmt: skip


@pytest.mark.parametrize("sip_url", GOOD_SIP)
def test_sip_uris_are_taken_as_given(tk: Any, sip_url: str) -> None:
    assert make_ou(tk, sip_url=sip_url).sip_url == sip_url


@pytest.mark.parametrize(("sip_url", "rule"), BAD_SIP)
def test_a_sip_url_that_is_not_a_sip_uri_is_400_naming_the_rule(
    fake: FakeTrunkingService, tk: Any, sip_url: str, rule: Any
) -> None:
    if rule is None:  # a parameter without a value is a SIP URI
        assert make_ou(tk, sip_url=sip_url).sip_url == sip_url
        return
    ou = make_ou(tk)
    before = fake.dump_state()
    for attempt in (lambda: make_ou(tk, sip_url=sip_url), lambda: ou.update(sip_url=sip_url)):
        err = rest_error(attempt)
        assert (err.status, err.code) == (400, 20001)
        assert fake.calls[-1].body["message"] == SIP_RULE + rule
    assert fake.dump_state() == before


HOSTILE = {
    "user": "sip:" + "a" * (1 << 20) + "@h.example.com",
    "params": "sip:h.example.com;" + "a=b;" * (1 << 18) + "a",
    "headers": "sip:h.example.com?" + "a=b&" * (1 << 18) + "a=b",
    "escapes": "sip:" + "%41" * (1 << 18) + "@h.example.com",
    "equals": "sip:h.example.com;a" + "=" * (1 << 20),
    "host": "sip:" + "a." * (1 << 19),
}
LONG_HOSTILE = {
    "semicolons": "sip:h.example.com" + ";" * (1 << 20),
    "value run": "sip:h.example.com?a=" + "b" * (1 << 20) + "&" + "c" * (1 << 20),
    "ats": "sip:" + "@" * (1 << 20),
    "port": "sip:h.example.com:" + "1" * (1 << 20),
    "ipv6": "sip:[" + ":" * (1 << 20) + "]",
    "dots": "sip:" + "." * (1 << 20),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_mebibyte_sip_url_is_checked_well_under_a_second(name: str) -> None:
    started = time.perf_counter()
    problem(HOSTILE[name])
    assert time.perf_counter() - started < 0.5, name


@pytest.mark.skipif(not os.environ.get("FAKE_TRUNKING_LONG"), reason="set FAKE_TRUNKING_LONG=1")
@pytest.mark.parametrize("name", sorted(LONG_HOSTILE))
def test_more_mebibyte_sip_urls_are_checked_well_under_a_second(name: str) -> None:
    started = time.perf_counter()
    assert problem(LONG_HOSTILE[name]) is not None
    assert time.perf_counter() - started < 0.5, name


# -- 4. one case rule for DomainName ----------------------------------------------------------


def test_domain_names_are_taken_in_any_case_kept_as_given_and_unique_in_any_case(
    fake: FakeTrunkingService,
) -> None:
    trunks = fake.client().trunking.v1.trunks
    first = trunks.create(domain_name="Mixed.PSTN.twilio.com")
    second = trunks.create(domain_name="MIXED2.pstn.TWILIO.com")
    assert (first.domain_name, second.domain_name) == (
        "Mixed.PSTN.twilio.com",
        "MIXED2.pstn.TWILIO.com",
    )
    assert rest_error(trunks.create, domain_name="mixed.pstn.twilio.com").code == 21248
    assert rest_error(trunks(second.sid).update, domain_name="MIXED.pstn.twilio.com").code == 21248
    renamed = trunks(first.sid).update(domain_name="mixed.pstn.twilio.com")  # its own name
    assert renamed.domain_name == "mixed.pstn.twilio.com"
    with FakeTrunkingService(seed=1) as other:  # a snapshot keeps the caller's spelling
        other.load_state(fake.dump_state())
        again = other.client(fake.default_account_sid).trunking.v1.trunks(second.sid).fetch()
        assert again.domain_name == ("MIXED2.pstn.TWILIO.com")


# -- 5. the settled rows ------------------------------------------------------------------------


def test_an_associated_number_has_a_null_voice_application_sid(fake: FakeTrunkingService) -> None:
    client = fake.client()
    trunk = client.trunking.v1.trunks.create()
    pn = fake.seed_phone_number()
    number = client.trunking.v1.trunks(trunk.sid).phone_numbers.create(phone_number_sid=pn)
    assert number.voice_application_sid is None and number.trunk_sid == trunk.sid


def test_weight_zero_is_accepted(tk: Any) -> None:
    ou = make_ou(tk, weight=0)
    assert ou.weight == 0 and ou.update(weight=0).weight == 0


def test_max_origination_urls_per_trunk_caps_each_trunk_with_21249() -> None:
    with FakeTrunkingService(seed=3, max_origination_urls_per_trunk=2) as fake:
        trunks = fake.client().trunking.v1.trunks
        tk = trunks(trunks.create().sid)
        first = make_ou(tk)
        make_ou(tk)
        before = fake.dump_state()
        err = rest_error(make_ou, tk)
        assert (err.status, err.code) == (400, 21249)
        assert fake.calls[-1].body["message"] == "Maximum Origination URIs reached"
        assert fake.dump_state() == before
        make_ou(trunks(trunks.create().sid))  # another trunk has its own room
        tk.origination_urls(first.sid).delete()
        make_ou(tk)
        snapshot = fake.dump_state()
    small = FakeTrunkingService(max_origination_urls_per_trunk=1)
    with pytest.raises(ValueError, match="max_origination_urls_per_trunk"):
        small.load_state(snapshot)


def test_origination_urls_are_not_capped_by_default(tk: Any) -> None:
    for _ in range(25):
        make_ou(tk)
    assert len(tk.origination_urls.list()) == 25


@pytest.mark.parametrize("value", [-1, "2", 1.0])
def test_max_origination_urls_per_trunk_is_checked_up_front(value: Any) -> None:
    with pytest.raises(KeywordError, match="max_origination_urls_per_trunk"):
        FakeTrunkingService(max_origination_urls_per_trunk=value)


def test_recording_mode_and_trim_are_taken_in_any_case_and_stored_lower_cased(
    fake: FakeTrunkingService, tk: Any
) -> None:
    updated = tk.recordings().update(mode="Record-From-Answer", trim="TRIM-SILENCE")
    assert (updated.mode, updated.trim) == ("record-from-answer", "trim-silence")
    assert tk.fetch().recording == {"mode": "record-from-answer", "trim": "trim-silence"}
    assert rest_error(tk.recordings().update, mode="RECORD-ALWAYS").code == 20001
