"""The ``fake-trunking`` command line: ``--version``, ``--help`` and the offline ``demo``."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from typing import Any, Dict, List

import pytest

from fake_trunking import __version__
from fake_trunking.cli import main
from fake_trunking.demo import run_demo

SID = r"[0-9a-f]{32}"


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"fake-trunking {__version__}"
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", __version__)


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: fake-trunking")
    assert "demo" in out and "--version" in out


def test_no_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    assert "usage: fake-trunking" in capsys.readouterr().out


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["frobnicate"])
    assert info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def _sids(out: str) -> Dict[str, List[str]]:
    return {
        p: re.findall(rf"\b{p}{SID}\b", out)
        for p in ("TK", "OU", "CL", "CR", "AL", "IP", "PN", "AC")
    }


def test_demo_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    sids = _sids(out)
    for prefix in ("TK", "OU", "CL", "CR", "AL", "IP", "PN", "AC"):
        assert len(set(sids[prefix])) == 1, prefix
    for line in (
        "API v2010 (api.twilio.com)",
        "credential list          CL",
        "credential               CR",
        "username=pbx-hq (the password is never returned)",
        "IP address               IP",
        "203.0.113.10/32",
        "(US local, 415)",
        "bought number            PN",
        "Trunking v1 (trunking.twilio.com)",
        "associated               auth_type='CREDENTIAL_LIST,IP_ACL', number +1415",
        f"trunk_sid={sids['TK'][0]}",
        "handled error            HTTP 400 code 21248",
        "(the trunk now has 0 numbers)",
        "after delete             fetching the trunk -> HTTP 404",
        "20 requests answered offline by the fake; nothing left this machine",
    ):
        assert line in out, line
    assert "Acme-Trunk-2026" not in out


def test_demo_goes_through_both_apis_and_releases_everything() -> None:
    out = io.StringIO()
    fake = run_demo(seed=11, out=out)
    text = out.getvalue()
    made = {
        c.body["sid"]
        for c in fake.calls
        if c.method == "POST" and c.status == 201 and "sid" in (c.body or {})
    }
    for sid in made:  # every SID the flow made is printed
        assert sid in text, sid
    paths = [(c.method, c.path.split("/Accounts/")[-1].split("/", 1)[-1]) for c in fake.calls]
    for step in (
        ("POST", "SIP/CredentialLists.json"),
        ("POST", "SIP/IpAccessControlLists.json"),
        ("GET", "AvailablePhoneNumbers/US/Local.json"),
        ("POST", "IncomingPhoneNumbers.json"),
    ):
        assert step in paths, step
    assert {c.status for c in fake.calls} <= {200, 201, 204, 400, 404}
    state = fake.dump_state()
    account = state["accounts"][fake.default_account_sid]
    # released: no trunk, list or number is left (whatever keys the state uses, all are empty)
    assert fake.trunks() == []

    def empty(value: Any) -> bool:
        if isinstance(value, dict):
            return all(empty(v) for v in value.values())
        return not value

    assert account and empty(account), account
    assert not fake.active


def test_demo_seed_changes_the_sids(capsys: pytest.CaptureFixture[str]) -> None:
    main(["demo", "--seed", "1"])
    one = capsys.readouterr().out
    main(["demo", "--seed", "1"])
    again = capsys.readouterr().out
    main(["demo", "--seed", "2"])
    other = capsys.readouterr().out
    assert one == again
    assert _sids(one)["TK"][0] != _sids(other)["TK"][0]


def test_python_m_fake_trunking_demo(capsys: pytest.CaptureFixture[str], tmp_path: Any) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "fake_trunking", "demo"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "bought number" in result.stdout
    main(["demo"])
    # the same seed gives the same SIDs in another process
    assert result.stdout == capsys.readouterr().out
