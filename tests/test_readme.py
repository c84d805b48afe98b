"""Every Python example in the README runs as written.

Blocks that define tests (``def test_``) run as a downstream pytest suite through ``pytester``
(the plugin autoloads). The other blocks of one ``##`` section run, in order, as one script in a
fresh interpreter (a later block may use what an earlier one made, as a reader would).
The signature block of ``FakeTrunkingService(...)`` is the only one that is not code to run.
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


def _blocks() -> List[Tuple[str, int, str]]:
    """``(section heading, line, code)`` of every Python block."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = []
    for match in re.finditer(r"```python\n(.*?)```", text, re.S):
        code = match.group(1)
        if code.startswith(NOT_CODE):
            continue
        before = text[: match.start()]
        heading = re.findall(r"(?m)^## (.+)$", before)[-1]
        found.append((heading, before.count("\n") + 1, code))
    return found


def _scripts() -> List[Tuple[int, str]]:
    by_section: Dict[str, Tuple[int, List[str]]] = {}
    for heading, line, code in _blocks():
        if "def test_" not in code:
            by_section.setdefault(heading, (line, []))[1].append(code)
    return [(line, "\n".join(codes)) for line, codes in by_section.values()]


SCRIPTS = _scripts()
SUITES = [(line, code) for _h, line, code in _blocks() if "def test_" in code]


def test_the_readme_has_examples() -> None:
    assert len(SCRIPTS) >= 7 and len(SUITES) >= 3


@pytest.mark.parametrize(("line", "code"), SCRIPTS, ids=[f"line{n}" for n, _ in SCRIPTS])
def test_script_example_runs(line: int, code: str, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, f"README line {line}:\n{done.stdout[-1500:]}{done.stderr[-3000:]}"


@pytest.mark.parametrize(("line", "code"), SUITES, ids=[f"line{n}" for n, _ in SUITES])
def test_pytest_example_passes(line: int, code: str, pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(**{f"test_readme_line{line}": code})
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    assert result.ret == 0, f"README line {line}:\n" + "\n".join(result.outlines[-40:])
