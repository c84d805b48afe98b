"""The outside oracle (issue 18, item 7): Twilio's own documented interactions.

``cassettes/documented-examples.yaml`` is built by ``cassettes/documented_examples.py`` from the
examples of Twilio's OpenAPI spec and the requests of twilio-python's generated Trunking tests
(both MIT), with consistent SIDs. The fake must answer every one of them with the same status
and the same shape (keys, JSON types, nesting), apart from the reviewed entries of
``cassettes/documented-examples.deviations.yaml``, each of which says why.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import List, Set, Tuple

import pytest
import yaml

from fake_trunking.cassettes import load_deviations, read_cassette, verify

ROOT = Path(__file__).resolve().parent.parent
CASSETTE = ROOT / "cassettes" / "documented-examples.yaml"
DEVIATIONS = ROOT / "cassettes" / "documented-examples.deviations.yaml"
GENERATOR = ROOT / "cassettes" / "documented_examples.py"
SPEC = ROOT.parent / "shared" / "spec" / "twilio_trunking_v1.json"
_ID = re.compile(r"/(?:TK|OU|CL|AL|PN)[0-9a-fA-F]{32}")


# The documented phone number (the spec's PhoneNumber example, which seeds the fake's registry
# number: verify starts from the objects a cassette shows) has "" for status_callback and
# sms_fallback_url, which the spec's own schema (format: uri) rejects; the fake answers the
# number it was given, so the suite's spec check sees those two "" and nothing else.
_DOCUMENTED_NOT_URIS = re.compile(
    r"PhoneNumbers\S* -> 20[01] does not match the spec: "
    r"\['(?:phone_numbers', 0, ')?sms_fallback_url'\]: '' is not a 'uri'; "
    r"\['(?:phone_numbers', 0, ')?status_callback'\]: '' is not a 'uri'\Z"
)


def _documented_only(problems: List[str]) -> None:
    """The suite's spec check saw only the documented number's two "" URLs (three answers)."""
    seen = list(problems)
    problems.clear()
    others = [p for p in seen if not _DOCUMENTED_NOT_URIS.search(p)]
    assert not others, "responses that break the spec:\n" + "\n".join(others)
    assert len(seen) == 3, seen  # the create, fetch and list of the documented number


def test_the_fake_answers_the_documented_interactions_in_shape(
    _validate_every_response: List[str],
) -> None:
    deviations = load_deviations(DEVIATIONS)
    result = verify(CASSETTE, deviations, shape=True)
    report = result.report()
    _documented_only(_validate_every_response)
    assert result.ok, "the fake differs from Twilio's documented examples:\n" + report
    assert result.unmapped == [], report  # every path id is a SID the cassette created
    assert result.differed == result.consequences == 0, report
    used = {id(dev) for _diff, dev in result.suppressed}
    stale = [dev.field for dev in deviations if id(dev) not in used]
    assert not stale, (
        f"{DEVIATIONS.name}: entries no longer needed (the fake now matches; delete them): "
        f"{stale}\n{report}"
    )
    for dev in deviations:  # every entry says why, in words
        assert len(dev.reason.split()) >= 8, dev


def test_the_documented_cassette_is_compared_in_shape_without_being_told(
    _validate_every_response: List[str],
) -> None:
    result = verify(CASSETTE, DEVIATIONS)  # its metadata says compare: shape
    _documented_only(_validate_every_response)
    assert result.shape and result.ok, result.report()


def test_the_documented_cassette_covers_every_operation_of_the_spec() -> None:
    spec = yaml.safe_load((ROOT / "cassettes" / "documented-examples.yaml").read_text())
    seen: Set[Tuple[str, str]] = set()
    for item in spec["interactions"]:
        path = item["request"]["uri"].split("trunking.twilio.com", 1)[1]
        parts = path.split("/")
        if len(parts) > 3:
            parts[3] = "{Sid}" if len(parts) == 4 else "{TrunkSid}"
        if len(parts) > 5:
            parts[5] = "{Sid}"
        seen.add((item["request"]["method"].lower(), "/".join(parts)))
    operations = {
        ("get", "/v1/Trunks"), ("post", "/v1/Trunks"), ("get", "/v1/Trunks/{Sid}"),
        ("post", "/v1/Trunks/{Sid}"), ("delete", "/v1/Trunks/{Sid}"),
        ("get", "/v1/Trunks/{TrunkSid}/Recording"), ("post", "/v1/Trunks/{TrunkSid}/Recording"),
        ("post", "/v1/Trunks/{TrunkSid}/OriginationUrls/{Sid}"),
    }  # fmt: skip
    for segment in ("OriginationUrls", "CredentialLists", "IpAccessControlLists", "PhoneNumbers"):
        collection = f"/v1/Trunks/{{TrunkSid}}/{segment}"
        operations |= {("get", collection), ("post", collection)}
        operations |= {("get", collection + "/{Sid}"), ("delete", collection + "/{Sid}")}
    assert seen == operations


def test_the_documented_cassette_is_labelled_and_its_sids_are_consistent() -> None:
    text = CASSETTE.read_text()
    assert "Licence: MIT" in text and "twilio-oai" in text and "twilio-python" in text
    data = yaml.safe_load(text)
    assert data["metadata"]["source"] == "documentation"
    assert "MIT" in data["metadata"]["licence"]
    created: Set[str] = set()
    for i, item in enumerate(data["interactions"], start=1):
        assert "response:" in item["source"] and "request:" in item["source"], i
        path = item["request"]["uri"].split("trunking.twilio.com", 1)[1]
        for sid in _ID.findall(path):  # a path names only objects an earlier create answered
            assert sid[1:] in created, (i, path)
        if item["response"]["status"]["code"] == 201:
            created.add(yaml.safe_load(item["response"]["body"]["string"])["sid"])
    assert len(read_cassette(CASSETTE).interactions) == len(data["interactions"])


@pytest.mark.skipif(not SPEC.is_file(), reason=f"the spec is not at {SPEC}")
def test_the_committed_cassette_is_what_the_generator_writes() -> None:
    done = subprocess.run(
        [sys.executable, str(GENERATOR), "--spec", str(SPEC), "--out", str(CASSETTE), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
