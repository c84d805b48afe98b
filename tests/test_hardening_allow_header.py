"""Issue 12, item 8: a 405 answer says which methods the resource allows (RFC 9110 15.5.6: "The
origin server MUST generate an Allow header field in a 405 response"). The transport-neutral
handler sets it, so the ``responses`` adapter, aiohttp, the server and cassettes all carry it.
"""

from __future__ import annotations

import json
from typing import Any, Tuple

import pytest
import requests

from fake_trunking import FakeTrunkingServer, FakeTrunkingService

TK0 = "TK" + "0" * 32


@pytest.fixture
def world(fake: FakeTrunkingService, client: Any) -> Tuple[str, str, str, str, str]:
    tk = fake.seed_trunks()[0]
    trunk = client.trunking.v1.trunks(tk)
    ou = trunk.origination_urls.create(
        weight=1, priority=1, enabled=True, friendly_name="o", sip_url="sip:a@example.com"
    ).sid
    cl = fake.seed_credential_list()
    al = fake.seed_ip_access_control_list()
    pn = fake.seed_phone_number()
    trunk.credentials_lists.create(credential_list_sid=cl)
    trunk.ip_access_control_lists.create(ip_access_control_list_sid=al)
    trunk.phone_numbers.create(phone_number_sid=pn)
    return tk, ou, cl, al, pn


CASES = [
    ("PUT", "/v1/Trunks", "GET, POST"),
    ("DELETE", "/v1/Trunks", "GET, POST"),
    ("PATCH", "/v1/Trunks/{tk}", "GET, POST, DELETE"),
    ("DELETE", "/v1/Trunks/{tk}/OriginationUrls", "GET, POST"),
    ("PUT", "/v1/Trunks/{tk}/OriginationUrls/{ou}", "GET, POST, DELETE"),
    ("POST", "/v1/Trunks/{tk}/CredentialLists/{cl}", "GET, DELETE"),
    ("PUT", "/v1/Trunks/{tk}/CredentialLists", "GET, POST"),
    ("POST", "/v1/Trunks/{tk}/IpAccessControlLists/{al}", "GET, DELETE"),
    ("POST", "/v1/Trunks/{tk}/PhoneNumbers/{pn}", "GET, DELETE"),
    ("DELETE", "/v1/Trunks/{tk}/Recording", "GET, POST"),
    ("OPTIONS", "/v1/Trunks/{tk}", "GET, POST, DELETE"),
    ("HEAD", "/v1/Trunks", "GET, POST"),
]


@pytest.mark.parametrize(("method", "path", "allow"), CASES, ids=[f"{m} {p}" for m, p, _ in CASES])
def test_a_405_through_the_twilio_client_lists_the_allowed_methods(
    client: Any, world: Any, method: str, path: str, allow: str
) -> None:
    tk, ou, cl, al, pn = world
    url = "https://trunking.twilio.com" + path.format(tk=tk, ou=ou, cl=cl, al=al, pn=pn)
    response = client.request(method, url)
    assert response.status_code == 405
    assert response.headers["Allow"] == allow
    if method != "HEAD":
        assert json.loads(response.text)["code"] == 20004


def test_the_allow_header_comes_before_existence(fake: FakeTrunkingService) -> None:
    """The method is checked before the trunk is looked up, and Allow goes with it."""
    with requests.Session() as http:
        answer = http.put(
            f"https://trunking.twilio.com/v1/Trunks/{TK0}/Recording",
            auth=(fake.default_account_sid, fake.auth_token()),
        )
    assert (answer.status_code, answer.headers["Allow"]) == (405, "GET, POST")


def test_no_allow_header_on_other_answers(fake: FakeTrunkingService, trunks: Any) -> None:
    trunks.create(friendly_name="x")
    assert "Allow" not in fake.calls[-1].response.headers
    with requests.Session() as http:
        missing = http.get(
            f"https://trunking.twilio.com/v1/Trunks/{TK0}",
            auth=(fake.default_account_sid, fake.auth_token()),
        )
        assert missing.status_code == 404 and "Allow" not in missing.headers
        unauthenticated = http.put("https://trunking.twilio.com/v1/Trunks")
        assert unauthenticated.status_code == 401 and "Allow" not in unauthenticated.headers


def test_a_405_from_the_server_carries_the_allow_header() -> None:
    with FakeTrunkingServer(seed=1) as server, requests.Session() as http:
        http.trust_env = False  # loopback: never an environment proxy
        credentials = (server.fake.default_account_sid, server.fake.auth_token())
        patch = http.patch(f"{server.base_url}/v1/Trunks", auth=credentials)
        assert (patch.status_code, patch.headers["Allow"]) == (405, "GET, POST")
        assert patch.json()["code"] == 20004
        head = http.head(f"{server.base_url}/v1/Trunks", auth=credentials)
        assert (head.status_code, head.headers["Allow"], head.content) == (405, "GET, POST", b"")


async def _aiohttp_405(fake: FakeTrunkingService) -> Tuple[int, str]:
    import base64

    import aiohttp

    sid = fake.default_account_sid
    token = base64.b64encode(f"{sid}:{fake.auth_token()}".encode()).decode()
    headers = {"Authorization": f"Basic {token}"}
    async with (
        aiohttp.ClientSession() as session,
        session.put("https://trunking.twilio.com/v1/Trunks", headers=headers) as response,
    ):
        return response.status, response.headers["Allow"]


def test_a_405_through_aiohttp_carries_the_allow_header(fake: FakeTrunkingService) -> None:
    pytest.importorskip("aiohttp")
    import asyncio

    assert asyncio.run(_aiohttp_405(fake)) == (405, "GET, POST")
