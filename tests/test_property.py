"""Property-based tests of the transport-neutral handler (issue 8, part 1).

Whatever arrives (any method, any path under /v1/Trunks, any query string, any form body: unicode,
NUL, huge values, repeated keys, invalid UTF-8, a missing or wrong Content-Type, bad auth), the fake
answers with a Twilio body and never a 5xx, and a 4xx never changes state. Path segments may be
percent-encoded bytes (invalid UTF-8) or raw text (NUL, "/", "?"); query strings may carry bad
escapes. A repeated form parameter counts once, with its first value.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime, timezone
from typing import Any, Dict, List, Tuple
from urllib.parse import quote, quote_from_bytes, urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fake_trunking import FakeTrunkingService
from fake_trunking.core.messages import Request

from . import spec

ACCOUNT = "AC" + "1" * 32
AUTH = "Basic " + base64.b64encode(f"{ACCOUNT}:token".encode()).decode()
BAD_AUTH = [
    "Basic !!!",
    "Bearer x",
    "Basic " + base64.b64encode(b"\xff\xfe:\x00").decode(),  # credentials that are not UTF-8
    "Basic " + base64.b64encode(f"{ACCOUNT}".encode()).decode(),  # no colon
    "basic " + base64.b64encode(f"SK{'0' * 32}:secret".encode()).decode(),  # unknown API key
    "Basic " + base64.b64encode(b"AC" + b"1" * 31 + b"\x00:t").decode(),
    "Basic",
]

PARAM_NAMES = [
    "FriendlyName", "DomainName", "DisasterRecoveryUrl", "DisasterRecoveryMethod", "TransferMode",
    "Secure", "CnamLookupEnabled", "TransferCallerId", "Weight", "Priority", "Enabled", "SipUrl",
    "CredentialListSid", "IpAccessControlListSid", "PhoneNumberSid", "Mode", "Trim", "PageSize",
    "Page", "PageToken",
]  # fmt: skip
ERROR_KEYS = {"code", "message", "more_info", "status", "detail"}
SEGMENTS = [
    "OriginationUrls", "CredentialLists", "IpAccessControlLists", "PhoneNumbers", "Recording",
]  # fmt: skip

HUGE = ["x" * 100_000, "é☎\x00" * 30_000, "9" * 5000]  # huge values: far past every limit
texts = (
    st.text(max_size=40)
    | st.text(st.characters(codec="utf-8"), min_size=1, max_size=8)  # any code point
    | st.sampled_from(
        ["", "\x00", "a\x00b", "true", "FALSE", "-1", "65536", "sip:a@b", "sips:a@b", "é☎", "%zz"]
    )
    | st.sampled_from(HUGE)
)
# query strings as bytes on the wire: bad escapes, invalid UTF-8, NUL, stray separators
raw_queries = st.sampled_from(
    ["%", "%%", "%zz", "PageSize=%ff%fe", "PageToken=%00", "&&=&", "PageSize=1&PageSize=x", "a=%c3"]
) | st.binary(max_size=24).map(lambda b: "PageToken=" + quote_from_bytes(b))
CONTENT_TYPES = [
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=utf-8",
    "APPLICATION/X-WWW-FORM-URLENCODED",
    None,  # missing
    "application/json",
    "text/plain; x=1",
    "multipart/form-data; boundary=x",
    "",
    "\x00garbage",
]


def _world(clock: Any = None) -> Tuple[FakeTrunkingService, Dict[str, List[str]]]:
    fake = FakeTrunkingService(seed=3, clock=clock)
    (tk,) = fake.seed_trunks(ACCOUNT, 1)
    ids = {
        "TK": [tk, "TK" + "0" * 32],
        "CL": [fake.seed_credential_list(ACCOUNT), "CL" + "f" * 32],
        "AL": [fake.seed_ip_access_control_list(ACCOUNT)],
        "PN": [fake.seed_phone_number(ACCOUNT)],
        "OU": ["OU" + "a" * 32],
    }
    return fake, ids


# a path segment: text (percent-encoded), bytes (percent-encoded, so invalid UTF-8 too), or raw
# text sent as is (NUL, "/", "?", "%", any code point)
path_segments = (
    st.text(max_size=36)
    | st.binary(min_size=1, max_size=16)
    | st.tuples(st.just("raw"), st.text(max_size=12))
)


@st.composite
def requests(draw: Any) -> Dict[str, Any]:
    sid_choice = st.sampled_from(["TK", "CL", "AL", "PN", "OU"])
    depth = draw(st.integers(0, 3))
    parts: List[Any] = ["/v1/Trunks"]
    if depth >= 1:
        parts.append(("sid", "TK") if draw(st.booleans()) else draw(path_segments))
    if depth >= 2:
        parts.append(draw(st.sampled_from(SEGMENTS) | path_segments))
    if depth >= 3:
        item = ("sid", draw(sid_choice)) if draw(st.booleans()) else draw(path_segments)
        parts.append(item)
    method = draw(
        st.sampled_from(["GET", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS", "post", "get"])
        | st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=8)
    )
    pairs = draw(
        st.lists(st.tuples(st.sampled_from(PARAM_NAMES) | st.text(max_size=10), texts), max_size=8)
    )
    if pairs and draw(st.booleans()):  # the same key again, with another value
        key = draw(st.sampled_from([k for k, _ in pairs]))
        pairs.insert(draw(st.integers(0, len(pairs))), (key, draw(texts)))
    raw_body = draw(st.none() | st.binary(max_size=64))
    content_type = draw(st.sampled_from(CONTENT_TYPES))
    query_names = st.sampled_from(PARAM_NAMES[-3:]) | st.text(max_size=6)
    query_pairs = draw(st.lists(st.tuples(query_names, texts), max_size=4))
    query = urlencode(query_pairs)
    if draw(st.integers(0, 3)) == 0:
        query = "&".join(q for q in (query, draw(raw_queries)) if q)
    auth = draw(st.sampled_from([AUTH, AUTH, AUTH, None, *BAD_AUTH]))
    return {
        "method": method,
        "parts": parts,
        "pairs": pairs,
        "raw_body": raw_body,
        "content_type": content_type,
        "query": query,
        "auth": auth,
        "choice": draw(st.integers(0, 1)),
    }


def _build(draw: Dict[str, Any], ids: Dict[str, List[str]]) -> Request:
    segments = []
    for part in draw["parts"]:
        if isinstance(part, tuple) and part[0] == "raw":
            segments.append(part[1])
        elif isinstance(part, tuple):
            options = ids[part[1]]
            segments.append(options[draw["choice"] % len(options)])
        elif isinstance(part, bytes):
            segments.append(quote_from_bytes(part, safe=""))
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
    if response.status == 204 or request.method.upper() == "HEAD":
        assert response.body == b""  # HTTP: neither a 204 nor a HEAD answer has a body
    else:
        assert response.headers["Content-Type"] == "application/json"
        body = json.loads(response.body)
        if response.status >= 400:  # a Twilio error body, with or without the spec at hand
            assert {"code", "message", "more_info", "status"} <= set(body) <= ERROR_KEYS, body
            assert body["status"] == response.status and isinstance(body["code"], int)
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


FIXED = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
WRITES = [
    ("/v1/Trunks", ["FriendlyName", "DomainName", "Secure", "TransferMode", "DisasterRecoveryUrl"]),
    ("/v1/Trunks/{TK}", ["FriendlyName", "CnamLookupEnabled", "TransferCallerId", "DomainName"]),
    (
        "/v1/Trunks/{TK}/OriginationUrls",
        ["Weight", "Priority", "Enabled", "FriendlyName", "SipUrl"],
    ),
    ("/v1/Trunks/{TK}/Recording", ["Mode", "Trim"]),
    ("/v1/Trunks/{TK}/PhoneNumbers", ["PhoneNumberSid"]),
]
VALUES = st.sampled_from(
    ["true", "false", "x", "", "1", "70000", "sip:a@b", "a.pstn.twilio.com", "record-from-answer",
     "enable-all", "from-transferor", "trim-silence", "https://dr.example.com", "\x00"]
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_a_repeated_parameter_counts_once_with_its_first_value(data: Any) -> None:
    """``A=1&B=2&A=3`` is answered exactly like ``A=1&B=2`` (docs/decisions.md: the first value
    of a repeated parameter wins), in the status, the body and the state it leaves."""
    template, names = data.draw(st.sampled_from(WRITES))
    pairs = data.draw(st.lists(st.tuples(st.sampled_from(names), VALUES), min_size=1, max_size=6))
    extra = data.draw(st.lists(st.tuples(st.sampled_from(names), VALUES), min_size=1, max_size=4))
    repeated = list(pairs)
    for name, value in extra:  # each extra value goes after the first pair with its name...
        first = next((i for i, (n, _) in enumerate(repeated) if n == name), None)
        spot = data.draw(st.integers(first + 1, len(repeated))) if first is not None else None
        if spot is not None:
            repeated.insert(spot, (name, value))
    answers = []
    for body in (pairs, repeated):
        fake, ids = _world(clock=lambda: FIXED)
        path = template.replace("{TK}", ids["TK"][0])
        if template.endswith("PhoneNumbers"):
            body = [(n, ids["PN"][0] if v == "x" else v) for n, v in body]
        headers = {"authorization": AUTH, "content-type": "application/x-www-form-urlencoded"}
        response = fake.handle(Request("POST", path, "", urlencode(body).encode(), headers))
        answers.append((response.status, response.body, fake.dump_state()))
    assert answers[0] == answers[1]
