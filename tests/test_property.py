"""Property-based tests of the transport-neutral handler (issue 8, part 1).

Whatever arrives (any method, any path under /v1/Trunks, any query string, any form body: unicode,
NUL, huge values, repeated keys, invalid UTF-8, a missing or wrong Content-Type, bad auth), the fake
answers with a Twilio body and never a 5xx, and a 4xx never changes state.
"""

from __future__ import annotations

import base64
import json
from typing import Any, Dict, List, Tuple
from urllib.parse import quote, urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fake_trunking import FakeTrunkingService
from fake_trunking.handler import Request

from . import spec

ACCOUNT = "AC" + "1" * 32
AUTH = "Basic " + base64.b64encode(f"{ACCOUNT}:token".encode()).decode()

PARAM_NAMES = [
    "FriendlyName", "DomainName", "DisasterRecoveryUrl", "DisasterRecoveryMethod", "TransferMode",
    "Secure", "CnamLookupEnabled", "TransferCallerId", "Weight", "Priority", "Enabled", "SipUrl",
    "CredentialListSid", "IpAccessControlListSid", "PhoneNumberSid", "Mode", "Trim", "PageSize",
    "Page", "PageToken",
]  # fmt: skip
SEGMENTS = [
    "OriginationUrls", "CredentialLists", "IpAccessControlLists", "PhoneNumbers", "Recording",
]  # fmt: skip

texts = st.text(max_size=40) | st.sampled_from(
    ["", "\x00", "true", "FALSE", "-1", "65536", "sip:a@b", "sips:a@b", "x" * 5000, "é☎", "%zz"]
)


def _world() -> Tuple[FakeTrunkingService, Dict[str, List[str]]]:
    fake = FakeTrunkingService(seed=3)
    (tk,) = fake.seed_trunks(ACCOUNT, 1)
    ids = {
        "TK": [tk, "TK" + "0" * 32],
        "CL": [fake.seed_credential_list(ACCOUNT), "CL" + "f" * 32],
        "AL": [fake.seed_ip_access_control_list(ACCOUNT)],
        "PN": [fake.seed_phone_number(ACCOUNT)],
        "OU": ["OU" + "a" * 32],
    }
    return fake, ids


@st.composite
def requests(draw: Any) -> Dict[str, Any]:
    sid_choice = st.sampled_from(["TK", "CL", "AL", "PN", "OU"])
    depth = draw(st.integers(0, 3))
    parts: List[Any] = ["/v1/Trunks"]
    if depth >= 1:
        parts.append(("sid", "TK") if draw(st.booleans()) else draw(st.text(max_size=36)))
    if depth >= 2:
        parts.append(draw(st.sampled_from(SEGMENTS) | st.text(max_size=12)))
    if depth >= 3:
        item = ("sid", draw(sid_choice)) if draw(st.booleans()) else draw(st.text(max_size=36))
        parts.append(item)
    method = draw(st.sampled_from(["GET", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS"]))
    pairs = draw(
        st.lists(st.tuples(st.sampled_from(PARAM_NAMES) | st.text(max_size=10), texts), max_size=8)
    )
    raw_body = draw(st.none() | st.binary(max_size=64))
    content_type = draw(
        st.sampled_from(
            ["application/x-www-form-urlencoded", None, "application/json", "text/plain; x=1"]
        )
    )
    query_names = st.sampled_from(PARAM_NAMES[-3:]) | st.text(max_size=6)
    query_pairs = draw(st.lists(st.tuples(query_names, texts), max_size=4))
    auth = draw(st.sampled_from([AUTH, AUTH, AUTH, None, "Basic !!!", "Bearer x"]))
    return {
        "method": method,
        "parts": parts,
        "pairs": pairs,
        "raw_body": raw_body,
        "content_type": content_type,
        "query": urlencode(query_pairs),
        "auth": auth,
        "choice": draw(st.integers(0, 1)),
    }


def _build(draw: Dict[str, Any], ids: Dict[str, List[str]]) -> Request:
    segments = []
    for part in draw["parts"]:
        if isinstance(part, tuple):
            options = ids[part[1]]
            segments.append(options[draw["choice"] % len(options)])
        else:
            segments.append(quote(part, safe="/" if part.startswith("/v1") else ""))
    path = "/".join(segments)
    body = draw["raw_body"] if draw["raw_body"] is not None else urlencode(draw["pairs"]).encode()
    headers = {}
    if draw["content_type"]:
        headers["content-type"] = draw["content_type"]
    if draw["auth"]:
        headers["authorization"] = draw["auth"]
    return Request(draw["method"], path, draw["query"], body, headers)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests())
def test_any_request_gets_a_twilio_answer_and_a_4xx_changes_nothing(draw: Dict[str, Any]) -> None:
    fake, ids = _world()
    request = _build(draw, ids)
    before = fake.dump_state()
    response = fake.handle(request)
    assert response.status < 500, (request, response.body[:300])
    if response.status == 204 or request.method == "HEAD":
        assert response.body == b""  # HTTP: neither a 204 nor a HEAD answer has a body
    else:
        assert response.headers["Content-Type"] == "application/json"
        body = json.loads(response.body)
        if spec.spec_available():
            spec.validate_response(request.method, request.path, response.status, body)
    assert response.headers["Twilio-Request-Id"].startswith("RQ")
    if response.status >= 400:
        assert fake.dump_state() == before, "a failed request changed state"


@settings(max_examples=100, deadline=None)
@given(st.binary(min_size=1, max_size=200))
def test_invalid_utf8_and_garbage_bodies_are_4xx_or_ignored(body: bytes) -> None:
    fake, ids = _world()
    headers = {"authorization": AUTH, "content-type": "application/x-www-form-urlencoded"}
    before = fake.dump_state()
    response = fake.handle(Request("POST", "/v1/Trunks/" + ids["TK"][0], "", body, headers))
    assert response.status in (200, 400)
    if response.status == 400:
        assert json.loads(response.body)["code"] in (20001, 21245)
        assert fake.dump_state() == before
