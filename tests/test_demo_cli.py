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
    return {p: re.findall(rf"\b{p}{SID}\b", out) for p in ("TK", "OU", "CL", "AL", "PN", "AC")}


def test_demo_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    sids = _sids(out)
    assert len(set(sids["OU"])) == 3
    assert len(set(sids["CL"])) == len(set(sids["AL"])) == len(set(sids["PN"])) == 1
    assert sids["TK"] and sids["AC"]
    for line in (
        "created trunk",
        "origination URL",
        "credential list",
        "IP access control list",
        "phone number",
        "recording                mode=record-from-answer trim=trim-silence",
        "auth_type='CREDENTIAL_LIST,IP_ACL'",
        "listed trunks            8 trunks in 3 pages of 3",
        "handled error            HTTP 400 code 21248",
        "after delete             listing its origination URLs -> 404",
        "nothing left this machine",
    ):
        assert line in out, line


def test_demo_prints_the_sids_it_made() -> None:
    out = io.StringIO()
    fake = run_demo(seed=11, out=out)
    text = out.getvalue()
    made = {
        c.body["sid"]
        for c in fake.calls
        if c.method == "POST" and c.status == 201 and "sid" in (c.body or {})
    }
    first_trunk = next(
        c.body["sid"] for c in fake.calls if c.path == "/v1/Trunks" and c.status == 201
    )
    assert first_trunk in text
    for sid in made:
        if not sid.startswith("TK"):  # every sub-resource SID is printed; branch trunks summarised
            assert sid in text, sid
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
    assert "created trunk" in result.stdout
    main(["demo"])
    # the same seed gives the same SIDs in another process
    assert result.stdout == capsys.readouterr().out
