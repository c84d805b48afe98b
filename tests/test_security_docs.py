"""SECURITY.md (issue 8, part 7): every promise names the tests that hold it, and each named
test exists (a renamed or deleted test fails here instead of leaving a promise unbacked)."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Dict, List, Set

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")


def _defined_names(path: Path) -> Set[str]:
    """Test functions, classes and assigned names (``test_x = Machine.TestCase``) at top level."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: Set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def _promises() -> Dict[str, List[str]]:
    """``{promise heading: [references]}`` from SECURITY.md's numbered sections."""
    text = (ROOT / "SECURITY.md").read_text(encoding="utf-8")
    sections = re.split(r"^### ", text, flags=re.MULTILINE)[1:]
    out: Dict[str, List[str]] = {}
    for section in sections:
        heading, _, body = section.partition("\n")
        out[heading.strip()] = [f"{f}::{n}" for f, n in REFERENCE.findall(body)]
    return out


def test_every_promise_points_at_tests_that_exist() -> None:
    promises = _promises()
    expected = [
        "Loopback by default",
        "No network in fake and replay modes",
        "No secrets at rest",
        "Safe loading",
        "Atomic writes",
        "Bounded request bodies",
    ]
    headings = " | ".join(promises)
    for words in expected:
        assert words in headings, f"SECURITY.md has no promise about {words!r}"
    cache: Dict[str, Set[str]] = {}
    for heading, references in promises.items():
        assert references, f"the promise {heading!r} names no test"
        for reference in references:
            file, _, name = reference.partition("::")
            path = ROOT / file
            assert path.is_file(), f"{heading!r}: {file} does not exist"
            names = cache.setdefault(file, _defined_names(path))
            assert name in names and name.startswith("test"), f"{heading!r}: no test {reference}"


def test_the_readme_links_the_security_page() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^## Security\n(.*?)(?=^## |\Z)", readme, re.MULTILINE | re.DOTALL)
    assert section is not None, "README.md has no '## Security' section"
    assert "(SECURITY.md)" in section.group(1)
