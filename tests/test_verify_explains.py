"""``verify`` explains what it finds (issue 18, item 6).

- one side succeeded and the other failed: ONE line with each side's status and error code;
- ids in request paths that are not SIDs (``TKXXXX...``) get a warning that they cannot be mapped;
- differences that follow from an earlier one-sided failure are consequences, not new;
- ``--shape`` compares keys, JSON types and nesting only;
- ``verify DIR`` takes every cassette under a folder;
- the summary counts what agrees, differs, is a consequence, or was skipped as a known deviation;
- exit codes 0 / 1 / 2, documented; the Python API carries the same facts as typed fields.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Dict, List

import pytest
import yaml

from fake_trunking import FakeTrunkingService
from fake_trunking import cli as fake_cli
from fake_trunking.cassettes import (
    Deviation,
    InteractionResult,
    Outcome,
    UnmappedId,
    VerifyResult,
    find_cassettes,
    verify,
)

PLACEHOLDER = "TK" + "X" * 32


def _session(tmp_path: Path, name: str = "session.yaml") -> Path:
    """A cassette the fake wrote: create A, fetch A, update A, create B, fetch B, list."""
    fake = FakeTrunkingService(seed=3)
    with fake:
        trunks = fake.client().trunking.v1.trunks
        a = trunks.create(friendly_name="A", domain_name="a-site.pstn.twilio.com")
        trunks(a.sid).fetch()
        trunks(a.sid).update(friendly_name="A2")
        b = trunks.create(friendly_name="B", domain_name="b-site.pstn.twilio.com")
        trunks(b.sid).fetch()
        trunks.list()
    return Path(fake.save_cassette(tmp_path / name))


def _edit(path: Path, change: Callable[[List[Dict[str, Any]]], None]) -> Path:
    data = yaml.safe_load(path.read_text())
    change(data["interactions"])
    path.write_text(yaml.safe_dump(data))
    return path


def _set_body(item: Dict[str, Any], change: Callable[[Dict[str, Any]], None]) -> None:
    body = json.loads(item["response"]["body"]["string"])
    change(body)
    item["response"]["body"]["string"] = json.dumps(body)


def _failed_create(tmp_path: Path) -> Path:
    """Trunk A's create is refused by the fake (a domain it rejects); the recording says 201."""

    def bad_domain(items: List[Dict[str, Any]]) -> None:
        items[0]["request"]["body"] = items[0]["request"]["body"].replace(
            "a-site.pstn.twilio.com", "a-site.example.com"
        )

    return _edit(_session(tmp_path), bad_domain)


# -- one line for a one-sided failure ------------------------------------------------------------


def test_one_side_failed_is_one_line_with_status_and_code_of_each_side(tmp_path: Path) -> None:
    result = verify(_failed_create(tmp_path))
    first = result.interactions[0]
    assert [(d.field, d.kind) for d in first.differences] == [("status", "outcome")]
    diff = first.differences[0]
    assert diff.recorded == Outcome(201)
    assert isinstance(diff.fake, Outcome) and diff.fake.status == 400
    assert diff.fake.code is not None and first.fake_code == diff.fake.code
    assert first.outcome_differs and first.verdict == "differs"
    lines = [line for line in result.report().splitlines() if line.lstrip().startswith("1 ")]
    assert len(lines) == 1, result.report()
    assert f"recorded 201 (success), but the fake answered 400 error {diff.fake.code} (" in lines[0]
    # no field-by-field lines for it (the old report listed every field of the trunk)
    assert "body.friendly_name" not in result.report()


# -- consequences --------------------------------------------------------------------------------


def test_diffs_on_a_trunk_whose_create_failed_are_consequences(tmp_path: Path) -> None:
    result = verify(_failed_create(tmp_path))
    verdicts = [(r.index, r.verdict, r.consequence_of) for r in result.interactions]
    assert verdicts == [
        (1, "differs", None),
        (2, "consequence", 1),  # fetch A: the fake has no A
        (3, "consequence", 1),  # update A
        (4, "agrees", None),  # create B: references stay in step after the failed create
        (5, "agrees", None),
        (6, "consequence", 1),  # the list shows A
    ]
    assert (result.agreed, result.differed, result.consequences, result.known) == (2, 1, 3, 0)
    report = result.report()
    assert "consequence of #1, not new: recorded 200 (success), but the fake answered 404" in report
    assert report.splitlines()[-1].endswith(
        "the fake DIFFERS in 1 of 6 interactions (6 interactions: 2 agree, 1 differ, "
        "3 consequence(s) of an earlier failure); fields: status"
    )


# -- ids that are not SIDs -----------------------------------------------------------------------


def test_placeholder_ids_in_paths_are_warned_about(tmp_path: Path) -> None:
    path = _session(tmp_path)
    real = yaml.safe_load(path.read_text())["interactions"][1]["request"]["uri"].rsplit("/", 1)[1]

    def placeholders(items: List[Dict[str, Any]]) -> None:
        for item in items[1:3]:  # the fetch and the update of A, as documentation writes them
            item["request"]["uri"] = item["request"]["uri"].replace(real, PLACEHOLDER)

    result = verify(_edit(path, placeholders))
    assert result.unmapped == [UnmappedId(PLACEHOLDER, "Trunk", "TK", (2, 3))]
    assert result.interactions[1].unmapped_ids == [PLACEHOLDER]
    assert result.interactions[1].verdict == "differs"
    assert result.interactions[2].consequence_of == 2
    warning = result.warnings[0]
    assert f"path id {PLACEHOLDER} (#2, #3) is not a Trunk SID (TK + 32 hex digits)" in warning
    assert "cannot be mapped" in warning
    report = result.report()
    assert report.splitlines()[1] == f"  warning: {warning}"
    assert f"GET /v1/Trunks/{PLACEHOLDER}" in report


# -- --shape ---------------------------------------------------------------------------------------


def test_shape_compares_keys_types_and_nesting_only(tmp_path: Path) -> None:
    def tamper(items: List[Dict[str, Any]]) -> None:
        def change(body: Dict[str, Any]) -> None:
            body["friendly_name"] = "documented example"  # a value: not a shape
            body["secure"] = "yes"  # boolean -> string
            body["recording"] = ["do-not-record"]  # object -> array
            del body["cnam_lookup_enabled"]  # only the fake has it
            body["documented_only"] = 1  # missing from the fake
            body["links"]["origination_urls"] = "elsewhere"

        _set_body(items[1], change)

        def list_change(body: Dict[str, Any]) -> None:
            body["trunks"] = body["trunks"][:1]  # an item count: not a shape
            body["meta"]["page_size"] = 1

        _set_body(items[5], list_change)

    path = _edit(_session(tmp_path), tamper)
    shape = verify(path, shape=True)
    found = {(d.index, d.field, d.kind, d.recorded, d.fake) for d in shape.differences}
    assert found == {
        (2, "body.secure", "type", "string", "boolean"),
        (2, "body.recording", "type", "array", "object"),
        (2, "body.cnam_lookup_enabled", "extra", None, "boolean"),
        (2, "body.documented_only", "missing", "number", None),
    }
    assert shape.shape and "shape only (keys, types, nesting)" in shape.report()
    assert "body.secure: recorded a string, the fake a boolean" in shape.report()
    values = {d.field for d in verify(path).differences}
    assert {"body.friendly_name", "body.trunks.length", "body.meta.page_size"} <= values


def test_shape_option_on_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def tamper(items: List[Dict[str, Any]]) -> None:
        _set_body(items[1], lambda body: body.update(friendly_name="documented"))

    path = _edit(_session(tmp_path), tamper)
    assert fake_cli.main(["verify", str(path)]) == 1
    assert fake_cli.main(["verify", "--shape", str(path)]) == 0
    assert "the fake agrees (6 interactions)" in capsys.readouterr().out


# -- folders ---------------------------------------------------------------------------------------


def test_verify_a_folder_takes_every_cassette_under_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "cassettes"
    (folder / "sub" / "deeper").mkdir(parents=True)
    (folder / ".hidden").mkdir()
    first = _session(folder, "a.yaml")
    data = yaml.safe_load(first.read_text())
    (folder / "sub" / "b.yml").write_text(first.read_text())
    (folder / "sub" / "deeper" / "c.json").write_text(json.dumps(data))
    (folder / "known-deviations.yaml").write_text("deviations: []\n")  # not a cassette
    (folder / "x.deviations.yaml").write_text("deviations: []\n")
    (folder / ".hidden" / "broken.yaml").write_text("not: [a cassette")
    (folder / "README.md").write_text("# notes\n")
    expected = [folder / "a.yaml", folder / "sub" / "b.yml", folder / "sub" / "deeper" / "c.json"]
    assert find_cassettes([folder]) == expected
    assert fake_cli.main(["verify", str(folder)]) == 0
    out = capsys.readouterr().out
    for path in expected:
        assert f"{path}: the fake agrees (6 interactions)" in out
    assert out.splitlines()[-1] == "total: 3 cassettes, 18 interactions: 18 agree; all agree"


def test_a_folder_with_no_cassette_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "empty").mkdir()
    assert fake_cli.main(["verify", str(tmp_path / "empty")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"{tmp_path / 'empty'}: no cassettes under this folder (.yaml, .yml, .json)" in err


# -- the summary, exit codes, the Python API -------------------------------------------------------


def test_summary_counts_agree_differ_consequence_and_known(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def tamper(items: List[Dict[str, Any]]) -> None:
        _set_body(items[3], lambda body: body.update(friendly_name="renamed by Twilio"))
        _set_body(items[4], lambda body: body.update(secure=True))

    path = _edit(_failed_create(tmp_path), tamper)
    known = [Deviation("body.friendly_name", "reviewed", "POST /v1/Trunks")]
    result = verify(path, known)
    assert isinstance(result, VerifyResult)
    assert all(isinstance(r, InteractionResult) for r in result.interactions)
    assert [r.verdict for r in result.interactions] == [
        "differs", "consequence", "consequence", "known", "differs", "consequence",
    ]  # fmt: skip
    assert (result.agreed, result.differed, result.consequences, result.known) == (0, 2, 3, 1)
    assert result.summary() == (
        "6 interactions: 0 agree, 2 differ, 3 consequence(s) of an earlier failure, "
        "1 skipped as known deviations"
    )
    deviations = tmp_path / "known.yaml"
    deviations.write_text(
        "deviations:\n  - {field: body.friendly_name, request: POST /v1/Trunks, reason: r}\n"
    )
    assert fake_cli.main(["verify", str(path), "--known-deviations", str(deviations)]) == 1
    out = capsys.readouterr().out
    assert "ok (1 known deviation(s): body.friendly_name)" in out
    assert "1 skipped as known deviations" in out.splitlines()[-1]


def test_exit_codes_are_documented_in_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        fake_cli.main(["verify", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--shape" in text and "folders" in text
    assert "exit status: 0 every interaction agrees" in text
    assert "1 the fake differs" in text and "2 a file or folder could not be used" in text
