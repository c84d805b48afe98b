"""``FakeTrunkingService``'s public API: lifecycle, interception of Trunking hosts only, living
with the user's own ``responses`` mocks, credentials, API keys, seeds, ``calls`` and ``handle``."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
import requests
import responses
from twilio.rest import Client

from fake_trunking import FakeTrunkingService, Request

from .helpers import basic, list_error, rest_error

URL = "https://trunking.twilio.com/v1/Trunks"


def _refused_by_responses(url: str) -> None:
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(url, timeout=1)


def test_start_stop_and_context_manager() -> None:
    fake = FakeTrunkingService(seed=1)
    with responses.RequestsMock(assert_all_requests_are_fired=False):
        # an outer mock with nothing registered: whatever it sees would have hit the network
        _refused_by_responses(URL)
        assert fake.start() is fake and fake.active
        assert fake.start() is fake  # idempotent
        assert fake.client().trunking.v1.trunks.create().sid
        fake.stop()
        fake.stop()  # idempotent
        assert not fake.active
        _refused_by_responses(URL)  # no longer answered by the fake
        with fake as entered:
            assert entered is fake and fake.active
            assert len(fake.client().trunking.v1.trunks.list()) == 1  # state survives a restart
        assert not fake.active
        _refused_by_responses(URL)


def test_stop_after_an_exception_inside_the_block() -> None:
    fake = FakeTrunkingService()
    with pytest.raises(RuntimeError), fake:
        raise RuntimeError("test failure")
    assert not fake.active


def test_reset_clears_state_and_calls(fake: FakeTrunkingService, trunks: Any) -> None:
    trunks.create(domain_name="reset.pstn.twilio.com")
    fake.seed_phone_number(phone_number="+14155550100")
    fake.reset()
    assert fake.calls == []
    assert fake.dump_state()["accounts"] == {}
    assert trunks.list() == []
    # domains and numbers are free again
    assert trunks.create(domain_name="reset.pstn.twilio.com").sid
    assert fake.seed_phone_number(phone_number="+14155550100")


@pytest.mark.parametrize(
    "url",
    [
        "https://messaging.twilio.com/v1/Services",
        "https://example.com/",
        "https://trunking.twilio.com.evil.example/v1/Trunks",
        "https://nottrunking.twilio.com/v1/Trunks",
        "http://127.0.0.2.example.com/v1/Trunks",
    ],
)
def test_other_hosts_are_refused_naming_the_url(fake: FakeTrunkingService, url: str) -> None:
    with pytest.raises(requests.exceptions.ConnectionError) as info:
        requests.get(url, timeout=1)
    assert url in str(info.value)
    assert fake.calls == []


@pytest.mark.parametrize(
    "host",
    [
        "trunking.twilio.com",
        "trunking.us1.twilio.com",
        "trunking.sydney.au1.twilio.com",
        "TRUNKING.Twilio.COM",
    ],
)
def test_every_trunking_host_form_is_answered(fake: FakeTrunkingService, host: str) -> None:
    response = requests.get(
        f"https://{host}/v1/Trunks", headers={"Authorization": basic(fake.default_account_sid)}
    )
    assert response.status_code == 200
    # requests lower-cases the host; the fake answers on the host it was sent
    assert response.json()["meta"]["url"].startswith(f"https://{host.lower()}/v1/Trunks?")


def test_plain_requests_see_the_wire_format(fake: FakeTrunkingService) -> None:
    auth = (fake.default_account_sid, "x")
    created = requests.post(URL, data={"FriendlyName": "plain"}, auth=auth)
    assert created.status_code == 201
    assert created.headers["Content-Type"] == "application/json"
    deleted = requests.delete(f"{URL}/{created.json()['sid']}", auth=auth)
    assert (deleted.status_code, deleted.content) == (204, b"")


def test_user_responses_mocks_inside_an_active_fake(fake: FakeTrunkingService) -> None:
    @responses.activate
    def users_test() -> None:
        responses.get("https://api.example.com/status", json={"ok": True})
        responses.get(f"{URL}/TK" + "a" * 32, json={"mocked": True})
        assert requests.get("https://api.example.com/status").json() == {"ok": True}
        # what the user mocks wins; the rest of Trunking is still the fake
        assert requests.get(f"{URL}/TK" + "a" * 32).json() == {"mocked": True}
        trunk = fake.client().trunking.v1.trunks.create(friendly_name="inner")
        assert fake.client().trunking.v1.trunks(trunk.sid).fetch().friendly_name == "inner"
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.get("https://unmocked.example.com/")

    users_test()
    assert [t.friendly_name for t in fake.client().trunking.v1.trunks.list()] == ["inner"]


def test_fake_started_inside_a_users_requests_mock() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as outer:
        outer.get("https://api.example.com/status", json={"ok": True})
        with FakeTrunkingService(seed=2) as fake:
            assert requests.get("https://api.example.com/status").json() == {"ok": True}
            assert fake.client().trunking.v1.trunks.create().sid
            with pytest.raises(requests.exceptions.ConnectionError):
                requests.get("https://unmocked.example.com/")  # the outer mock refuses it
        assert requests.get("https://api.example.com/status").json() == {"ok": True}
        _refused_by_responses(URL)


def test_credentials_and_default_account() -> None:
    a, b = "AC" + "a" * 32, "AC" + "b" * 32
    with FakeTrunkingService(credentials={a: "ta", b: "tb"}) as fake:
        assert fake.default_account_sid == a
        assert (fake.auth_token(), fake.auth_token(b)) == ("ta", "tb")
        assert fake.client(b).trunking.v1.trunks.create().account_sid == b
        status, body = list_error(Client(a, "tb").trunking.v1.trunks.list)
        assert (status, body["code"]) == (401, 20003)


def test_api_keys() -> None:
    account, key = "AC" + "c" * 32, "SK" + "d" * 32
    with FakeTrunkingService(api_keys={key: (account, "secret")}) as fake:
        trunk = Client(key, "secret", account).trunking.v1.trunks.create()
        assert trunk.account_sid == account
        assert fake.calls[-1].request.headers["authorization"] == basic(key, "secret")
        assert rest_error(Client(key, "nope", account).trunking.v1.trunks.create).code == 20003


def test_default_account_sid_is_deterministic_under_a_seed() -> None:
    assert FakeTrunkingService(seed=3).default_account_sid == (
        FakeTrunkingService(seed=3).default_account_sid
    )
    assert FakeTrunkingService(seed=3).default_account_sid != (
        FakeTrunkingService(seed=4).default_account_sid
    )
    assert FakeTrunkingService().default_account_sid != FakeTrunkingService().default_account_sid
    code = (
        "from fake_trunking import FakeTrunkingService as F; "
        "print(F(seed=3).default_account_sid, F(seed=3).seed_trunks()[0])"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": str(hash_seed), "PATH": ""},
        ).stdout
        for hash_seed in (1, 2)
    }
    assert len(outputs) == 1  # the same across processes, whatever the hash seed
    fake = FakeTrunkingService(seed=3)
    assert outputs == {f"{fake.default_account_sid} {fake.seed_trunks()[0]}\n"}


def test_calls_log(fake: FakeTrunkingService, trunks: Any) -> None:
    sid = trunks.create(friendly_name="logged").sid
    trunks.list(page_size=5)
    rest_error(trunks("TK" + "0" * 32).fetch)
    create, listing, missing = fake.calls
    assert (create.method, create.path, create.status) == ("POST", "/v1/Trunks", 201)
    assert create.url == URL
    assert create.params == {"FriendlyName": "logged"}
    assert create.body["sid"] == sid
    assert create.duration >= 0
    assert (listing.method, listing.params, listing.status) == ("GET", {"PageSize": "5"}, 200)
    assert listing.url == URL + "?PageSize=5"
    assert (missing.status, missing.body["code"]) == (404, 20404)


def test_handle_is_the_transport_neutral_entry_point() -> None:
    fake = FakeTrunkingService(seed=6)  # not started: handle needs no interception
    auth = {"authorization": basic(fake.default_account_sid)}
    created = fake.handle(
        Request(
            "POST",
            "/v1/Trunks",
            body=b"FriendlyName=direct",
            headers={**auth, "content-type": "application/x-www-form-urlencoded"},
            base_url="http://127.0.0.1:8080",
        )
    )
    assert created.status == 201
    assert created.json()["url"].startswith("http://127.0.0.1:8080/v1/Trunks/TK")
    listed = fake.handle(Request("GET", "/v1/Trunks", query="PageSize=1", headers=auth))
    assert listed.json()["trunks"][0]["friendly_name"] == "direct"
    assert [c.status for c in fake.calls] == [201, 200]


def test_importing_the_package_does_not_import_heavy_optional_packages() -> None:
    code = (
        "import sys, fake_trunking; "
        "print(sorted(m for m in ('twilio', 'vcr', 'yaml', 'aiohttp') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_client_is_a_twilio_client_with_extra_keywords(fake: FakeTrunkingService) -> None:
    client = fake.client(region="au1", edge="sydney")
    assert isinstance(client, Client)
    assert (client.region, client.edge) == ("au1", "sydney")
    client.trunking.v1.trunks.create()
    assert fake.calls[-1].request.base_url == "https://trunking.sydney.au1.twilio.com"


def test_loopback_goes_through_while_the_fake_is_active(fake: FakeTrunkingService) -> None:
    """Loopback never leaves the machine: a local server answers (here, another fake over HTTP),
    as aiohttp does under the async adapter."""
    from fake_trunking import FakeTrunkingServer

    with FakeTrunkingServer(seed=5) as server:
        account = (server.fake.default_account_sid, "token")
        for base in (server.base_url, server.base_url.replace("127.0.0.1", "localhost")):
            answer = requests.post(f"{base}/v1/Trunks", data={"FriendlyName": "x"}, auth=account)
            assert answer.status_code == 201
            assert answer.json()["url"].startswith(base)
    assert fake.calls == []  # the in-process fake saw none of it
