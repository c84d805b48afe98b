"""Spec fuzzing (issue 8, part 3): schemathesis drives server mode from Twilio's OpenAPI spec.

Every operation of ``twilio_trunking_v1.json`` (``tests.spec.SPEC_PATH``) is sent, through real
HTTP with valid Basic credentials, to a ``FakeTrunkingServer`` on 127.0.0.1 (a free port), in
schemathesis' phases: the spec's examples (plus one valid call per operation on resources that
exist, added below), coverage (boundary and invalid values, missing auth, other methods) and
fuzzing (positive and negative data). The checks:

- ``not_a_server_error``: never a 5xx (but the 501 HTTP requires for a ``Transfer-Encoding``
  the server does not implement, which the fuzzer does send);
- ``response_schema_conformance``, ``content_type_conformance``, ``response_headers_conformance``:
  every documented response (the spec documents 2xx only) matches its schema, and
- ``ignored_auth``: a request without or with wrong credentials is refused;
- and ``tests.spec.validate_response`` on every answer: the strict schema (all fields, no others,
  dates) for 2xx, and a Twilio error body with the HTTP status for 4xx.

Not run: ``status_code_conformance`` (Twilio documents no 4xx, yet answers them),
``positive_data_acceptance`` and ``negative_data_rejection``: the spec cannot express the rules
DECISIONS.md settles (``SipUrl`` must be ``sip:``, a domain ends in ``pstn.twilio.com``, a
``PageSize`` above 1000 is served as 1000, an empty ``DisasterRecoveryUrl`` clears it, a second
association is 21245 ...), so they would flag documented behaviour.

Schemathesis would mostly meet 404s with random SIDs, so the state is a seeded world (trunks,
an origination URL, associated and free CL/AL/PN), reloaded before every case, and hooks put
its SIDs into path parameters, form bodies and page tokens most of the time. Each operation
must answer 2xx at least once (checked when the operation's run ends).

Bounded for CI: ``FAKE_TRUNKING_FUZZ_EXAMPLES`` fuzzed cases per operation (default 25, about
15 s on one core; 500 under ``FAKE_TRUNKING_LONG=1``, the long adversarial run). For a longer
hunt: ``FAKE_TRUNKING_FUZZ_EXAMPLES=1000 pytest tests/test_fuzz_schemathesis.py``.
"""

from __future__ import annotations

import os
from typing import Any, Dict, Iterator, List, Optional
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from fake_trunking import FakeTrunkingServer, FakeTrunkingService

from . import spec

if not spec.spec_available():
    pytest.skip(
        f"Twilio's OpenAPI spec is not at {spec.SPEC_PATH} (set FAKE_TRUNKING_SPEC)",
        allow_module_level=True,
    )

schemathesis = pytest.importorskip(
    "schemathesis", reason="schemathesis (the dev extra, on Python 3.11+) is not installed"
)
from schemathesis.checks import not_a_server_error  # noqa: E402 (after the skips)
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    ignored_auth,
    response_headers_conformance,
    response_schema_conformance,
)

# FAKE_TRUNKING_LONG=1 (the long adversarial run, SECURITY.md) raises the default to 500
LONG = os.environ.get("FAKE_TRUNKING_LONG") == "1"
EXAMPLES = int(os.environ.get("FAKE_TRUNKING_FUZZ_EXAMPLES", "500" if LONG else "25"))
ACCOUNT = "AC" + "f2" * 16
TOKEN = "fuzz-token-0123456789abcdef"


def no_server_error(ctx: Any, response: Any, case: Any) -> Optional[bool]:
    """``not_a_server_error``, except the one 5xx HTTP itself asks for: a request whose
    ``Transfer-Encoding`` the server does not implement is 501 (RFC 9112, section 6.1), a
    Twilio body (docs/decisions.md, "Server mode")."""
    headers = {k.lower() for k in (case.headers or {})}
    if response.status_code == 501 and "transfer-encoding" in headers:
        body = response.json()
        assert (body["code"], body["message"]) == (20001, "Unsupported Transfer-Encoding"), body
        return True
    result: Optional[bool] = not_a_server_error(ctx, response, case)
    return result


CHECKS = [
    no_server_error,
    response_schema_conformance,
    content_type_conformance,
    response_headers_conformance,
    ignored_auth,
]


def _world() -> Dict[str, Any]:
    """The seeded state every case starts from, and the SIDs in it (by prefix)."""
    fake = FakeTrunkingService(seed=8, credentials={ACCOUNT: TOKEN})
    tk = fake.seed_trunks(ACCOUNT, 2)
    cl = [fake.seed_credential_list(ACCOUNT) for _ in range(2)]
    al = [fake.seed_ip_access_control_list(ACCOUNT) for _ in range(2)]
    pn = [fake.seed_phone_number(ACCOUNT) for _ in range(2)]
    other = "AC" + "0e" * 16  # another account's objects: always 404 for ours
    foreign = [*fake.seed_trunks(other, 1), fake.seed_credential_list(other)]
    auth = {"authorization": "Basic " + _b64(f"{ACCOUNT}:{TOKEN}")}
    form = {**auth, "content-type": "application/x-www-form-urlencoded"}
    base = f"https://trunking.twilio.com/v1/Trunks/{tk[0]}"
    answer = fake.handle_url(
        "POST",
        f"{base}/OriginationUrls",
        b"Weight=1&Priority=2&Enabled=true&FriendlyName=pbx&SipUrl=sip%3Apbx%40example.com",
        form,
    )
    ou = [answer.json()["sid"]]
    for segment, field, sid in [
        ("CredentialLists", "CredentialListSid", cl[0]),
        ("IpAccessControlLists", "IpAccessControlListSid", al[0]),
        ("PhoneNumbers", "PhoneNumberSid", pn[0]),
    ]:
        answer = fake.handle_url("POST", f"{base}/{segment}", f"{field}={sid}".encode(), form)
        assert answer.status == 201, answer.body
    return {
        "state": fake.dump_state(),
        "TK": tk,
        "OU": ou,
        "CL": cl,
        "AL": al,
        "PN": pn,
        "foreign": foreign,
    }


def _b64(text: str) -> str:
    import base64

    return base64.b64encode(text.encode()).decode()


WORLD = _world()
TK, OU, CL, AL, PN = (WORLD[k][0] for k in ("TK", "OU", "CL", "AL", "PN"))
SEGMENT_KIND = {
    "OriginationUrls": "OU",
    "CredentialLists": "CL",
    "IpAccessControlLists": "AL",
    "PhoneNumbers": "PN",
}
BODY_KIND = {"CredentialListSid": "CL", "IpAccessControlListSid": "AL", "PhoneNumberSid": "PN"}

config = schemathesis.Config()
config.projects.default.update(basic_auth=(ACCOUNT, TOKEN))
schema = schemathesis.openapi.from_path(str(spec.SPEC_PATH), config=config)


def _kind(path: str, name: str) -> Optional[str]:
    if name == "TrunkSid" or (name == "Sid" and path == "/v1/Trunks/{Sid}"):
        return "TK"
    if name == "Sid":
        return SEGMENT_KIND.get(path.split("/")[-2])
    return None


def _mostly(real: List[str], generated: Any) -> st.SearchStrategy[Any]:
    """A real SID three times in four, else what schemathesis generated (or a foreign SID)."""
    return st.one_of(
        st.sampled_from(real),
        st.sampled_from(real),
        st.sampled_from(real),
        st.sampled_from([generated, *WORLD["foreign"]]),
    )


@schema.hook
def flatmap_path_parameters(context: Any, path_parameters: Any) -> st.SearchStrategy[Any]:
    if not isinstance(path_parameters, dict) or not path_parameters:
        return st.just(path_parameters)
    path = context.operation.path
    out = {}
    for name, value in path_parameters.items():
        kind = _kind(path, name)
        out[name] = _mostly(WORLD[kind], value) if kind else st.just(value)
    return st.fixed_dictionaries(out)


@schema.hook
def flatmap_body(context: Any, body: Any) -> st.SearchStrategy[Any]:
    if not isinstance(body, dict):
        return st.just(body)
    out = {}
    for name, value in body.items():
        kind = BODY_KIND.get(name)
        if kind is not None:
            out[name] = _mostly(WORLD[kind], value)
        elif name == "SipUrl":  # the spec says "uri"; Twilio wants sip: (DECISIONS.md)
            out[name] = st.sampled_from(["sip:pbx@example.com", value])
        else:
            out[name] = st.just(value)
    return st.fixed_dictionaries(out)


@schema.hook
def flatmap_query(context: Any, query: Any) -> st.SearchStrategy[Any]:
    if not isinstance(query, dict) or "PageToken" not in query:
        return st.just(query)
    kind = "TK" if context.operation.path == "/v1/Trunks" else None
    kind = kind or SEGMENT_KIND.get(context.operation.path.split("/")[-1])
    tokens = [f"{side}{sid}" for side in ("PA", "PB") for sid in WORLD.get(kind or "", [])]
    if not tokens:
        return st.just(query)
    return st.fixed_dictionaries(
        {
            **{k: st.just(v) for k, v in query.items()},
            "PageToken": _mostly(tokens, query["PageToken"]),
        }
    )


# One valid call per operation on resources that exist: (path parameters, query, form body).
VALID: Dict[str, Any] = {
    "GET /v1/Trunks": ({}, {"PageSize": 1}, None),
    "POST /v1/Trunks": ({}, None, {"FriendlyName": "new", "DomainName": "new.pstn.twilio.com"}),
    "GET /v1/Trunks/{Sid}": ({"Sid": TK}, None, None),
    "POST /v1/Trunks/{Sid}": ({"Sid": TK}, None, {"Secure": True, "TransferMode": "sip-only"}),
    "DELETE /v1/Trunks/{Sid}": ({"Sid": TK}, None, None),
    "GET /v1/Trunks/{TrunkSid}/Recording": ({"TrunkSid": TK}, None, None),
    "POST /v1/Trunks/{TrunkSid}/Recording": (
        {"TrunkSid": TK},
        None,
        {"Mode": "record-from-answer"},
    ),
    "POST /v1/Trunks/{TrunkSid}/OriginationUrls": (
        {"TrunkSid": TK},
        None,
        {"Weight": 1, "Priority": 1, "Enabled": True, "FriendlyName": "b", "SipUrl": "sip:b@c.d"},
    ),
    "POST /v1/Trunks/{TrunkSid}/OriginationUrls/{Sid}": (
        {"TrunkSid": TK, "Sid": OU},
        None,
        {"Weight": 9, "Enabled": False},
    ),
    "POST /v1/Trunks/{TrunkSid}/CredentialLists": (
        {"TrunkSid": TK},
        None,
        {"CredentialListSid": WORLD["CL"][1]},
    ),
    "POST /v1/Trunks/{TrunkSid}/IpAccessControlLists": (
        {"TrunkSid": TK},
        None,
        {"IpAccessControlListSid": WORLD["AL"][1]},
    ),
    "POST /v1/Trunks/{TrunkSid}/PhoneNumbers": (
        {"TrunkSid": TK},
        None,
        {"PhoneNumberSid": WORLD["PN"][1]},
    ),
}
for _segment, _sid in [
    ("OriginationUrls", OU),
    ("CredentialLists", CL),
    ("IpAccessControlLists", AL),
]:
    VALID[f"GET /v1/Trunks/{{TrunkSid}}/{_segment}"] = ({"TrunkSid": TK}, {"PageSize": 1}, None)
    for _method in ("GET", "DELETE"):
        VALID[f"{_method} /v1/Trunks/{{TrunkSid}}/{_segment}/{{Sid}}"] = (
            {"TrunkSid": TK, "Sid": _sid},
            None,
            None,
        )
VALID["GET /v1/Trunks/{TrunkSid}/PhoneNumbers"] = ({"TrunkSid": TK}, {"PageSize": 1}, None)
for _method in ("GET", "DELETE"):
    VALID[f"{_method} /v1/Trunks/{{TrunkSid}}/PhoneNumbers/{{Sid}}"] = (
        {"TrunkSid": TK, "Sid": PN},
        None,
        None,
    )


@schema.hook
def before_add_examples(context: Any, examples: List[Any]) -> None:
    operation = context.operation
    found = VALID.get(f"{operation.method.upper()} {operation.path}")
    if found is None:
        return
    path_parameters, query, body = found
    kwargs: Dict[str, Any] = {
        "path_parameters": path_parameters,
        "query": query,
        "headers": {"Authorization": "Basic " + _b64(f"{ACCOUNT}:{TOKEN}")},
    }
    if body is not None:
        kwargs["body"] = body
        kwargs["media_type"] = "application/x-www-form-urlencoded"
    examples.append(operation.Case(**kwargs))


def test_every_operation_has_a_valid_call_on_existing_resources() -> None:
    """The table above covers the spec: the fuzz run below reaches 2xx on every operation."""
    operations = {
        f"{method.upper()} {path}"
        for path, item in spec.load_spec()["paths"].items()
        for method in item
        if method in ("get", "post", "delete")
    }
    assert set(VALID) == operations


@pytest.fixture(scope="module")
def server() -> Iterator[FakeTrunkingServer]:
    with FakeTrunkingServer(credentials={ACCOUNT: TOKEN}) as running:
        yield running


@pytest.fixture
def answers() -> Iterator[List[int]]:
    """The statuses one operation got (schemathesis runs this fixture per operation)."""
    statuses: List[int] = []
    yield statuses
    if statuses and not any(200 <= s < 300 for s in statuses):
        pytest.fail(f"no case reached a 2xx: statuses {sorted(set(statuses))}", pytrace=False)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_spec_finds_no_server_error_and_no_nonconforming_answer(
    case: Any, server: FakeTrunkingServer, answers: List[int]
) -> None:
    server.fake.load_state(WORLD["state"])
    response = case.call_and_validate(base_url=server.base_url, checks=CHECKS, timeout=30)
    answers.append(response.status_code)
    if case.method.upper() != "HEAD":  # the body of every other answer is checked strictly
        path = urlsplit(response.request.url).path
        body = response.json() if response.content else None
        spec.validate_response(case.method, path, response.status_code, body)


def test_the_checks_catch_server_errors_and_spec_violations(
    server: FakeTrunkingServer, _validate_every_response: List[str]
) -> None:
    """The checks above fail on what they must: an injected 500, and a 200 whose body breaks the
    schema; they pass the 501 HTTP asks for."""
    from schemathesis.core.failures import FailureGroup

    operation = schema["/v1/Trunks/{Sid}"]["GET"]
    auth = {"Authorization": "Basic " + _b64(f"{ACCOUNT}:{TOKEN}")}
    server.fake.load_state(WORLD["state"])
    fetch = operation.Case(path_parameters={"Sid": TK}, headers=auth)
    assert fetch.call_and_validate(base_url=server.base_url, checks=CHECKS).status_code == 200
    odd = operation.Case(path_parameters={"Sid": TK}, headers={**auth, "Transfer-Encoding": "x"})
    assert odd.call_and_validate(base_url=server.base_url, checks=CHECKS).status_code == 501
    server.fake.inject_fault(500, times=1)
    with pytest.raises(FailureGroup, match="Server error"):
        fetch.call_and_validate(base_url=server.base_url, checks=CHECKS)
    broken = dict(WORLD["state"])
    broken["accounts"] = {
        ACCOUNT: {**WORLD["state"]["accounts"][ACCOUNT], "trunks": [
            {**WORLD["state"]["accounts"][ACCOUNT]["trunks"][0], "transfer_mode": "sideways"}
        ]}
    }  # fmt: skip
    with pytest.raises(ValueError, match="TransferMode"):
        server.fake.load_state(broken)  # a snapshot cannot smuggle in what the API refuses
    store = server.fake.store
    with store.writing():  # so a bug inside the fake stands in for it
        trunk = store.accounts[ACCOUNT].trunks.get(TK)
        assert trunk is not None
        trunk["transfer_mode"] = "sideways"
    with pytest.raises(FailureGroup, match="Response violates schema"):
        fetch.call_and_validate(base_url=server.base_url, checks=CHECKS)
    server.fake.load_state(WORLD["state"])
    _validate_every_response.clear()  # the suite's own validator saw the violation too
