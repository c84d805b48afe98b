#!/usr/bin/env python3
"""Build ``cassettes/documented-examples.yaml``: Twilio's own documented Trunking v1 interactions.

Sources (both MIT licensed, Copyright Twilio, Inc.):

- the OpenAPI spec ``twilio_trunking_v1.json`` of github.com/twilio/twilio-oai (commit
  d50069b44ea8cd23141385bdb6db48f16ff75bb5, ``spec/json/twilio_trunking_v1.json``): every
  request body is the operation's ``requestBody`` example, every response body the operation's
  response example (``create``, ``fetch``, ``update``, ``readFull``, ``readEmpty``), verbatim;
- twilio-python's generated tests ``tests/integration/trunking/v1/`` (github.com/twilio/
  twilio-python, the 7.x series): which request each operation sends (method and URL) and that
  a delete is answered ``204`` with no body. Their URLs use placeholders (``TKXXXX...``,
  ``TRaaaa...``) that are not SIDs; here every path uses the SID the create example answered,
  so a create's SID is the one the later fetch, update and delete name.

What was changed, and why (each interaction's ``source`` says what it came from):
- path ids: the create example's SID instead of the placeholder (see above);
- ``SipUrl`` in the origination URL requests: ``sip:sip-box.com:1234`` instead of the
  documented ``sip://sip-box.com:1234`` (``//`` is not RFC 3261 syntax; the fake validates the
  parameter). The documented response bodies keep ``sip://`` (``verify --shape`` compares
  shapes, not values).
Nothing else: bodies, dates and placeholder values are the documentation's.

Run offline (only the spec file is read; nothing is fetched)::

    python3 cassettes/documented_examples.py --spec ../shared/spec/twilio_trunking_v1.json \
        --out cassettes/documented-examples.yaml

The output is deterministic (no timestamps): running it again on the same spec writes the same
file. Needs PyYAML (a dependency of fake-trunking's cassette support).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SPEC = ROOT.parent / "shared" / "spec" / "twilio_trunking_v1.json"
DEFAULT_OUT = ROOT / "cassettes" / "documented-examples.yaml"
SPEC_SOURCE = (
    "twilio/twilio-oai@d50069b44ea8cd23141385bdb6db48f16ff75bb5 spec/json/twilio_trunking_v1.json"
)
PY_TESTS = "twilio/twilio-python tests/integration/trunking/v1/"
LICENCE = (
    "MIT (twilio-oai LICENSE and twilio-python LICENSE, Copyright (C) Twilio, Inc.); "
    "bodies reproduced verbatim from the documentation examples"
)
BASE = "https://trunking.twilio.com"
ACCOUNT = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"  # the account the examples show
SID = {p: p + "a" * 32 for p in ("TK", "OU", "CL", "AL", "PN")}  # the examples' SIDs
SIP_URL_FIX = {
    "sip://sip-box.com:1234": "sip:sip-box.com:1234",
    "sip://sip-updated.com:4321": "sip:sip-updated.com:4321",
}

# (method, spec path template, response status, example name, twilio-python test that documents
# the request). The order is a life cycle: a trunk is created, used, its sub-resources created,
# read, updated and removed, then the trunk is deleted.
TK, OU, CL, AL, PN = (SID[p] for p in ("TK", "OU", "CL", "AL", "PN"))
SUBS = [
    ("OriginationUrls", "OU", "trunk/test_origination_url.py", True),
    ("CredentialLists", "CL", "trunk/test_credential_list.py", False),
    ("IpAccessControlLists", "AL", "trunk/test_ip_access_control_list.py", False),
    ("PhoneNumbers", "PN", "trunk/test_phone_number.py", False),
]


def plan() -> List[Tuple[str, str, int, Optional[str], str]]:
    steps: List[Tuple[str, str, int, Optional[str], str]] = [
        ("POST", "/v1/Trunks", 201, "create", "test_trunk.py::test_create_request"),
        ("GET", "/v1/Trunks/{Sid}", 200, "fetch", "test_trunk.py::test_fetch_request"),
        ("POST", "/v1/Trunks/{Sid}", 200, "update", "test_trunk.py::test_update_request"),
        ("GET", "/v1/Trunks", 200, "readFull", "test_trunk.py::test_list_request"),
    ]
    for segment, _prefix, test, updatable in SUBS:
        collection = f"/v1/Trunks/{{TrunkSid}}/{segment}"
        item = collection + "/{Sid}"
        steps += [
            ("POST", collection, 201, "create", f"{test}::test_create_request"),
            ("GET", item, 200, "fetch", f"{test}::test_fetch_request"),
        ]
        if updatable:
            steps.append(("POST", item, 200, "update", f"{test}::test_update_request"))
        steps += [
            ("GET", collection, 200, "readFull", f"{test}::test_list_request"),
            ("DELETE", item, 204, None, f"{test}::test_delete_request"),
            ("GET", collection, 200, "readEmpty", f"{test}::test_list_request"),
        ]
    recording = "/v1/Trunks/{TrunkSid}/Recording"
    steps += [
        ("GET", recording, 200, "fetch", "trunk/test_recording.py::test_fetch_request"),
        ("POST", recording, 200, "update", "trunk/test_recording.py::test_update_request"),
        ("DELETE", "/v1/Trunks/{Sid}", 204, None, "test_trunk.py::test_delete_request"),
        ("GET", "/v1/Trunks", 200, "readEmpty", "test_trunk.py::test_list_request"),
    ]
    return steps


def _path(template: str) -> str:
    if template.startswith("/v1/Trunks/{Sid}"):
        return template.replace("{Sid}", TK)
    path = template.replace("{TrunkSid}", TK)
    for segment, prefix, _test, _u in SUBS:
        if f"/{segment}/" in path:
            path = path.replace("{Sid}", SID[prefix])
    return path


def _form(value: Dict[str, Any]) -> str:
    def text(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        return SIP_URL_FIX.get(str(v), str(v))

    return urlencode([(k, text(v)) for k, v in value.items()])


def build(spec: Dict[str, Any]) -> Dict[str, Any]:
    interactions: List[Dict[str, Any]] = []
    for method, template, status, example, test in plan():
        op = spec["paths"][template][method.lower()]
        request_body: Optional[str] = None
        notes = [f"request: {PY_TESTS}{test} (method and URL; path id = the create's SID)"]
        rb = op.get("requestBody", {}).get("content", {})
        form_ex = rb.get("application/x-www-form-urlencoded", {}).get("examples", {})
        if example in form_ex:
            request_body = _form(form_ex[example]["value"])
            notes.append(f"request body: spec {op['operationId']} requestBody example {example!r}")
            if "SipUrl" in form_ex[example]["value"]:
                notes.append("SipUrl sip://host rewritten sip:host (RFC 3261 has no //)")
        response_body = ""
        if example is not None:
            content = op["responses"][str(status)]["content"]["application/json"]
            response_body = json.dumps(content["examples"][example]["value"])
            notes.append(f"response: spec {op['operationId']} {status} example {example!r}")
        else:
            notes.append(
                f"response: 204, no body ({PY_TESTS}{test.split('::')[0]}"
                "::test_delete_response; the spec declares 204 without content)"
            )
        headers: Dict[str, List[str]] = {"Accept": ["application/json"]}
        if request_body is not None:
            headers["Content-Type"] = ["application/x-www-form-urlencoded"]
        response_headers = {"Content-Type": ["application/json"]} if response_body else {}
        interactions.append(
            {
                "request": {
                    "method": method,
                    "uri": BASE + _path(template),
                    "body": request_body,
                    "headers": headers,
                },
                "response": {
                    "status": {
                        "code": status,
                        "message": {200: "OK", 201: "Created", 204: "No Content"}[status],
                    },
                    "headers": response_headers,
                    "body": {"string": response_body},
                },
                "account": ACCOUNT,
                "source": "; ".join(notes),
            }
        )
    return {
        "version": 1,
        "interactions": interactions,
        "metadata": {
            "source": "documentation",
            "compare": "shape",  # verify compares keys, types and nesting: values illustrate
            "documented_by": [SPEC_SOURCE, PY_TESTS + " (7.x, generated tests)"],
            "licence": LICENCE,
            "generator": "cassettes/documented_examples.py",
            "last_verified": None,
        },
    }


HEADER = """\
# Twilio's documented Elastic SIP Trunking v1 interactions, as one consistent session.
# Generated by cassettes/documented_examples.py from the examples of Twilio's OpenAPI spec and the
# requests of twilio-python's generated tests; do not edit by hand (regenerate it).
# Licence: MIT (Copyright (C) Twilio, Inc.): twilio-oai and twilio-python are MIT licensed.
# Each interaction's `source` names where it came from. Check it with
#   fake-trunking verify --shape cassettes/documented-examples.yaml \\
#       --known-deviations cassettes/documented-examples.deviations.yaml
"""


def dumps(data: Dict[str, Any]) -> str:
    import yaml

    class Dumper(yaml.SafeDumper):
        def ignore_aliases(self, data: Any) -> bool:
            return True

    def text(dumper: Any, value: str) -> Any:
        style = "|" if len(value) > 60 or "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper.add_representer(str, text)
    body: str = yaml.dump(
        data,
        Dumper=Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=1_000_000,
        default_flow_style=False,
    )
    return HEADER + body


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, default=DEFAULT_SPEC, help="twilio_trunking_v1.json")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the cassette to write")
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if --out differs from what would be written",
    )
    args = parser.parse_args(argv)
    text = dumps(build(json.loads(args.spec.read_text(encoding="utf-8"))))
    if args.check:
        same = args.out.is_file() and args.out.read_text(encoding="utf-8") == text
        print(f"{args.out}: {'up to date' if same else 'OUT OF DATE: regenerate it'}")
        return 0 if same else 1
    tmp = args.out.with_name(args.out.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(args.out)
    print(f"wrote {args.out} ({len(plan())} interactions)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
