"""Every Python example in the README and in ``docs/`` runs as written.

A ```` ```python ```` block that defines tests (``def test_``) runs as a downstream pytest suite
through ``pytester`` (the plugin autoloads). The other blocks of one page run, in order, as one
script in a fresh interpreter (a later block may use what an earlier one made, as a reader would;
in the README, one ``##`` section is the unit). Blocks in other languages (```` ```sh ````,
```` ```toml ````, ```` ```text ````) are not run. The signature block of
``FakeTrunkingService(...)`` is the only Python block that is not code to run.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOT_CODE = ("FakeTrunkingService(\n    seed=None",)
DOCS = sorted((ROOT / "docs").rglob("*.md"))
# Files the docs include whole (``--8<-- "SECURITY.md"``) are pages of the site too.
INCLUDED = sorted(
    {
        ROOT / name
        for page in DOCS
        for name in re.findall(r'(?m)^--8<-- "([^"]+)"$', page.read_text(encoding="utf-8"))
    }
)
PAGES = [ROOT / "README.md", *DOCS, *INCLUDED]


def _name(page: Path) -> str:
    return page.relative_to(ROOT).as_posix() if ROOT in page.parents else page.name


def python_blocks(page: Path) -> List[Tuple[str, int, str]]:
    """``(unit, line, code)`` of every Python block of ``page``; ``unit`` groups one script."""
    text = page.read_text(encoding="utf-8")
    found = []
    for match in re.finditer(r"(?m)^```python\n(.*?)^```", text, re.S):
        code = match.group(1)
        if code.startswith(NOT_CODE):
            continue
        before = text[: match.start()]
        unit = _name(page)
        if page.name == "README.md":
            unit += " " + re.findall(r"(?m)^## (.+)$", before)[-1]
        found.append((unit, before.count("\n") + 1, code))
    return found


def _collect() -> Tuple[List[Tuple[str, str]], List[Tuple[str, str]]]:
    scripts: Dict[str, Tuple[str, List[str]]] = {}
    suites: List[Tuple[str, str]] = []
    for page in PAGES:
        for unit, line, code in python_blocks(page):
            where = f"{_name(page)}:{line}"
            if "def test_" in code:
                suites.append((where, code))
            else:
                scripts.setdefault(unit, (where, []))[1].append(code)
    return [(where, "\n".join(codes)) for where, codes in scripts.values()], suites


SCRIPTS, SUITES = _collect()


def test_the_readme_and_the_docs_have_examples() -> None:
    assert len(SCRIPTS) >= 9 and len(SUITES) >= 3
    readme = [where for where, _ in SCRIPTS + SUITES if where.startswith("README.md:")]
    assert len(readme) >= 2  # the ten lines and the pytest example


def test_other_languages_are_not_collected(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "# t\n\n```sh\nexit 1\n```\n\n```text\nnot python\n```\n\n```python\nx = 1\n```\n",
        encoding="utf-8",
    )
    assert [code for _u, _l, code in python_blocks(page)] == ["x = 1\n"]


@pytest.mark.parametrize(("where", "code"), SCRIPTS, ids=[w for w, _ in SCRIPTS])
def test_script_example_runs(where: str, code: str, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, f"{where}:\n{done.stdout[-1500:]}{done.stderr[-3000:]}"


@pytest.mark.parametrize(("where", "code"), SUITES, ids=[w for w, _ in SUITES])
def test_pytest_example_passes(where: str, code: str, pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    name = re.sub(r"\W", "_", where.replace(".md", ""))
    pytester.makepyfile(**{f"test_{name}": code})
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    assert result.ret == 0, f"{where}:\n" + "\n".join(result.outlines[-40:])
