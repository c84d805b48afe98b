"""Release hygiene: one version, a licence that matches the metadata, a changelog, and extras
that are for users (no pins, none of this repository's test tooling)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, List

import pytest

import fake_trunking
from fake_trunking.cli import main

try:
    import tomllib
except ImportError:  # Python 3.9/3.10: tomli, which the dev tools usually bring
    try:
        import tomli as tomllib
    except ImportError:
        tomllib = None

ROOT = Path(__file__).resolve().parents[1]
USER_EXTRAS = ("cassettes", "async", "twilio")
REPO_TOOLING = (
    "pytest",
    "pytest-xdist",
    "pytest-asyncio",
    "hypothesis",
    "schemathesis",
    "jsonschema",
    "requests-mock",
    "anyio",
    "mypy",
    "ruff",
    "build",
    "twine",
    "mkdocs",
)


def _extras() -> Dict[str, List[str]]:
    if tomllib is None:
        pytest.skip("reading pyproject.toml needs tomllib (3.11+) or tomli")
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    extras: Dict[str, List[str]] = data["project"]["optional-dependencies"]
    return extras


def _name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower()


def test_the_version_is_reported_in_one_place(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.strip() == f"fake-trunking {fake_trunking.__version__}"
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'dynamic = ["version"]' in pyproject
    assert 'version = { attr = "fake_trunking._version.__version__" }' in pyproject
    assert re.fullmatch(r"\d+\.\d+\.\d+", fake_trunking.__version__)


def test_the_changelog_keeps_an_unreleased_section_and_the_current_version() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "Keep a Changelog" in text
    headings = re.findall(r"(?m)^## \[([^\]]+)\]", text)
    assert headings[0] == "Unreleased"
    assert fake_trunking.__version__ in headings
    unreleased = text.split("## [Unreleased]", 1)[1].split("\n## [", 1)[0]
    assert "### Added" in unreleased and "### Fixed" in unreleased


def test_the_licence_is_mit_as_the_metadata_says() -> None:
    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert licence.startswith("MIT License") and "fake-trunking developers" in licence
    assert 'license = "MIT"' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")


def test_users_extras_are_ranges_without_this_repositorys_tooling() -> None:
    extras = _extras()
    assert "test" not in extras  # was this repository's test stack, pinned
    for extra in USER_EXTRAS:
        for requirement in extras[extra]:
            assert "==" not in requirement, f"[{extra}] pins {requirement}"
            assert _name(requirement) not in REPO_TOOLING, f"[{extra}] pulls {requirement}"
    (twilio,) = extras["twilio"]
    assert re.fullmatch(r"twilio>=\d+(\.\d+)*,<\d+", twilio), twilio
    dev = {_name(r) for r in extras["dev"]}
    assert {"pytest", "pytest-asyncio", "mypy", "ruff", "build", "twine"} <= dev


def test_the_dev_extra_installs_every_users_extra() -> None:
    dev = _extras()["dev"]
    own = [r for r in dev if _name(r) == "fake-trunking"]
    assert own and set(USER_EXTRAS) <= set(re.findall(r"\w+", own[0].split("[", 1)[1]))
