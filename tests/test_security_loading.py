"""Hostile files (issue 8, part 5): cassettes, known-deviations files, state files and
credentials files are read with safe loaders only. A file with YAML python tags, a
billion-laughs expansion, a self-referring structure, too many bytes, JSON ``NaN``/``Infinity``
or absurd nesting executes nothing, changes nothing and is refused with a one-line error, by
every entry point that reads it (the Python API, ``fake-trunking verify``, replay mode,
``fake-trunking serve --state/--credentials``, the admin endpoint).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, List

import pytest
import requests

from fake_trunking import FakeTrunkingServer, FakeTrunkingService
from fake_trunking.cassettes import CassetteError, load_deviations, open_backend, read_cassette
from fake_trunking.cassettes import format as cassette_format
from fake_trunking.cassettes import verify as verify_cassette
from fake_trunking.cli import main
from fake_trunking.server.http import StateFile, StateFileError, load_credentials

MARKER = "pwned"
GOOD_INTERACTION = (
    "{request: {method: GET, uri: 'https://trunking.twilio.com/v1/Trunks', body: null, "
    "headers: {}}, response: {status: {code: 200, message: OK}, headers: {}, "
    "body: {string: '{}'}}}"
)


def python_tags(marker: Path) -> List[str]:
    """YAML documents that run code (create ``marker``) when loaded by an unsafe loader."""
    return [
        f'!!python/object/apply:os.system ["touch {marker}"]',
        f'!!python/object/apply:subprocess.call [["touch", "{marker}"]]',
        f'!!python/object/apply:builtins.open ["{marker}", "w"]',
        "version: 1\ninteractions: []\n"
        f"metadata: !!python/object/apply:os.system ['touch {marker}']",
        "version: 1\ninteractions:\n"
        f"- request: !!python/object/new:builtins.open ['{marker}', 'w']",
        "version: 1\ninteractions: []\nmetadata: {run: !!python/name:os.system }",
        "version: 1\ninteractions: []\nmetadata: !!python/module:os",
        f"deviations: !!python/object/apply:os.system ['touch {marker}']",
    ]


def laughs(where: str, levels: int = 9) -> str:
    """A billion laughs: ``levels`` levels of 9 aliases (9**9 = 387,420,489 strings at 9) in a
    few hundred bytes, referred to as ``*top`` in ``where``."""
    lines = [
        "version: 1",
        'l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]',
    ]
    for n in range(1, levels):
        lines.append(f"l{n}: &l{n} [" + ", ".join([f"*l{n - 1}"] * 9) + "]")
    lines.append(where.replace("*top", f"*l{levels - 1}"))
    return "\n".join(lines) + "\n"


HOSTILE_YAML = {
    "laughs in metadata": laughs("interactions: []\nmetadata: {source: *top}"),
    "laughs as deviations": laughs("interactions: []\ndeviations: *top"),
    "laughs in a header": laughs(
        "interactions:\n- {request: {method: GET, uri: 'https://trunking.twilio.com/v1/Trunks', "
        "headers: {x: *top}}, response: {status: {code: 200}, body: {string: ''}}}"
    ),
    "one long body referred to 20,000 times": (
        "version: 1\nx: &x " + GOOD_INTERACTION.replace("'{}'", "'" + "x" * 2000 + "'") + "\n"
        "interactions: [" + ", ".join(["*x"] * 20_000) + "]\n"
    ),
    "a structure that contains itself": "version: 1\ninteractions: []\nmetadata: &m {me: *m}\n",
    "deep nesting": "version: 1\ninteractions: " + "[" * 100_000 + "]" * 100_000 + "\n",
    "not UTF-8": "version: 1\ninteractions: []\nmetadata: {x: \udcff}\n",
}


def cassette_readers(tmp_path: Path) -> List[Callable[[Path], Any]]:
    """Every way a cassette (or deviations) file gets read."""

    def replay(path: Path) -> None:
        with open_backend("replay", path, {}):
            pass

    def seed(path: Path) -> None:
        FakeTrunkingService().load_cassette(path)

    def deviations(path: Path) -> None:
        load_deviations(path)

    def verify_with_deviations(path: Path) -> None:
        good = tmp_path / "good.yaml"
        good.write_text(f"version: 1\ninteractions: [{GOOD_INTERACTION}]\n")
        verify_cassette(good, path)

    return [read_cassette, seed, verify_cassette, replay, deviations, verify_with_deviations]


def assert_refused(read: Callable[[Path], Any], path: Path) -> str:
    """``read(path)`` raises a one-line ``CassetteError`` naming the file (before anything is
    expanded or used: a refusal, not a slow success)."""
    with pytest.raises(CassetteError) as refused:
        read(path)
    message = str(refused.value)
    assert "\n" not in message and str(path) in message, message
    return message


def test_yaml_python_tags_execute_nothing(tmp_path: Path) -> None:
    marker = tmp_path / MARKER
    for n, document in enumerate(python_tags(marker)):
        path = tmp_path / f"tagged-{n}.yaml"
        path.write_text(document + "\n")
        for read in cassette_readers(tmp_path):
            assert_refused(read, path)
            assert not marker.exists(), f"{document!r} ran code through {read}"


@pytest.mark.parametrize("name", sorted(HOSTILE_YAML))
def test_hostile_yaml_is_a_one_line_refusal(tmp_path: Path, name: str) -> None:
    path = tmp_path / "hostile.yaml"
    text = HOSTILE_YAML[name]
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    for read in cassette_readers(tmp_path):
        assert_refused(read, path)


def test_the_verify_command_refuses_a_billion_laughs_in_one_line(tmp_path: Path) -> None:
    """The real command, in a process of its own with a deadline: before the fix, this
    cassette loaded fine and printing its report never ended."""
    path = tmp_path / "laughs.yaml"  # 9**7 strings: a regression fails in seconds, not hours
    path.write_text(laughs("interactions: []\nmetadata: {source: *top}", levels=7))
    done = subprocess.run(
        [sys.executable, "-m", "fake_trunking", "verify", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stdout == "" and done.stderr.count("\n") == 1, done.stderr
    assert "aliases expand it" in done.stderr


def test_verify_command_refuses_tagged_files_with_status_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    marker = tmp_path / MARKER
    path = tmp_path / "tagged.yaml"
    path.write_text(python_tags(marker)[0] + "\n")
    assert main(["verify", str(path)]) == 2
    _out, err = capsys.readouterr()
    assert err.count("\n") == 1 and "only plain YAML is read" in err, err
    assert not marker.exists()


def test_a_cassette_too_big_is_refused_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cassette_format, "MAX_BYTES", 64 * 1024)
    path = tmp_path / "big.yaml"
    path.write_text("version: 1\ninteractions: []\nmetadata: {x: '" + "x" * 70_000 + "'}\n")
    message = assert_refused(read_cassette, path)
    assert "MiB; refused" in message


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_json_constants_in_cassette_bodies_never_reach_the_state(
    tmp_path: Path, constant: str
) -> None:
    """``NaN`` is not JSON: a body holding it is not read as an object, so the state (and the
    state file or API answer made from it) never holds a float that JSON cannot carry."""
    with FakeTrunkingService(seed=3) as fake:
        trunks = fake.client().trunking.v1.trunks
        sid = trunks.create(friendly_name="hq").sid
        trunks(sid).origination_urls.create(
            weight=1, priority=1, enabled=True, friendly_name="o", sip_url="sip:a@b"
        )
    path = fake.save_cassette(tmp_path / "c.yaml")
    text = path.read_text()
    # (the separator depends on the JSON encoder in use: orjson's compact one or json's)
    weight = '"weight": 1,' if '"weight": 1,' in text else '"weight":1,'
    assert text.count(weight) == 1
    path.write_text(text.replace(weight, f'"weight": {constant},'))
    seeded = FakeTrunkingService()
    seeded.load_cassette(path)
    json.dumps(seeded.dump_state(), allow_nan=False)  # raises if a NaN or an infinity got in
    with seeded:
        trunks = seeded.client().trunking.v1.trunks
        assert [t.friendly_name for t in trunks.list()] == ["hq"]  # its body was JSON
        assert trunks(sid).origination_urls.list() == []  # the one with NaN was not


# -- state files and credentials files -----------------------------------------------------------
STATE = {"format": "fake-trunking-state", "version": 1, "accounts": {}}
HOSTILE_JSON = {
    "NaN": json.dumps(STATE)[:-1] + ', "x": NaN}',
    "Infinity inside a record": json.dumps(
        {
            **STATE,
            "accounts": {"AC" + "1" * 32: {"trunks": [{"sid": "TK" + "1" * 32, "weight": 1}]}},
        }
    ).replace('"weight": 1', '"weight": Infinity'),
    "-Infinity": '{"format": "fake-trunking-state", "version": -Infinity, "accounts": {}}',
    "deep nesting": "[" * 200_000 + "]" * 200_000,
    "deep nesting inside": json.dumps(STATE)[:-1] + ', "x": ' + "{" * 50_000 + "}" * 50_000 + "}",
    "a python tag": '!!python/object/apply:os.system ["true"]',
    "not UTF-8": '{"format": "\xff"}',
}


@pytest.mark.parametrize("name", sorted(HOSTILE_JSON))
def test_hostile_state_files_are_refused_in_one_line_and_left_untouched(
    tmp_path: Path, name: str
) -> None:
    path = tmp_path / "state.json"
    content = HOSTILE_JSON[name].encode("latin-1")
    path.write_bytes(content)
    fake = FakeTrunkingService(seed=1)
    fake.seed_trunks(count=2)
    before = fake.dump_state()
    with pytest.raises(StateFileError) as refused:
        StateFile(path).load_into(fake)
    message = str(refused.value)
    assert "\n" not in message and str(path) in message
    assert fake.dump_state() == before and path.read_bytes() == content
    # the same through the command line: one line on stderr, exit status 1
    done = subprocess.run(
        [sys.executable, "-m", "fake_trunking", "serve", "--state", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and str(path) in done.stderr
    assert path.read_bytes() == content


def test_state_and_credentials_files_too_big_are_refused_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fake_trunking.server import files as statefile

    monkeypatch.setattr(statefile, "MAX_STATE_FILE", 1024 * 1024)
    monkeypatch.setattr(statefile, "MAX_CREDENTIALS_FILE", 1024 * 1024)
    path = tmp_path / "state.json"
    with path.open("w") as out:  # valid JSON, only too big
        out.write(json.dumps(STATE)[:-1] + ', "padding": "')
        out.write("x" * (1024 * 1024))
        out.write('"}')
    with pytest.raises(StateFileError, match=r"larger than 1 MiB; refused"):
        StateFile(path).load_into(FakeTrunkingService())
    with pytest.raises(ValueError, match=r"larger than 1 MiB; refused"):
        load_credentials(path)


@pytest.mark.parametrize(
    "content",
    [
        '{"AC' + "1" * 32 + '": NaN}',
        '{"AC' + "1" * 32 + '": "t", "x": Infinity}',
        "[" * 200_000,
        '{"AC' + "1" * 32 + '": ' + "[" * 50_000 + "]" * 50_000 + "}",
        '!!python/object/apply:os.system ["true"]',
    ],
)
def test_hostile_credentials_files_are_refused_in_one_line(tmp_path: Path, content: str) -> None:
    path = tmp_path / "creds.json"
    path.write_text(content)
    with pytest.raises(ValueError) as refused:
        load_credentials(path)
    assert "\n" not in str(refused.value) and str(path) in str(refused.value)


@pytest.mark.parametrize("name", ["NaN", "deep nesting inside", "Infinity inside a record"])
def test_hostile_state_bodies_on_the_admin_endpoint_are_400(name: str) -> None:
    with FakeTrunkingServer(seed=2) as server:
        server.fake.seed_trunks(count=3)
        before = server.fake.dump_state()
        answer = requests.put(
            f"{server.base_url}/__fake__/state", data=HOSTILE_JSON[name].encode(), timeout=30
        )
        assert answer.status_code == 400
        body = answer.json()
        assert body["code"] == 20001 and "\n" not in body["message"]
        assert server.fake.dump_state() == before
