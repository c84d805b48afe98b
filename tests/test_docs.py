"""What ships as documentation (README, docs/, the files the docs include) links only to the
repository or to public pages, never to ``../shared`` (which a reader of the package does not
have), and the site's navigation lists every page."""

from __future__ import annotations

import re
from pathlib import Path
from typing import List
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted((ROOT / "docs").rglob("*.md"))
SHIPPED = [
    ROOT / "README.md",
    ROOT / "CHANGELOG.md",
    ROOT / "SECURITY.md",
    ROOT / "LICENSE",
    ROOT / "pyproject.toml",
    ROOT / "mkdocs.yml",
    ROOT / "cassettes" / "README.md",
    ROOT / "bench" / "RESULTS.md",
    *DOCS,
]
# Public sites a link may point at: the twilio docs, PyPI, GitHub projects, and the references
# the changelog and the cassette notes cite.
PUBLIC_HOSTS = (
    "twilio.com",
    "pypi.org",
    "github.com",
    "keepachangelog.com",
    "semver.org",
    "vcrpy.readthedocs.io",
)


def _ids(paths: List[Path]) -> List[str]:
    return [p.relative_to(ROOT).as_posix() for p in paths]


def _links(text: str) -> List[str]:
    """Markdown link targets (``[x](target)``, ``[x]: target``) and autolinks (``<http…>``)."""
    text = re.sub(r"(?ms)^```.*?^```", "", text)  # code blocks hold example URLs, not links
    text = re.sub(r"`[^`\n]*`", "", text)
    inline = re.findall(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)", text)
    refs = re.findall(r"(?m)^\[[^\]]+\]:\s*(\S+)", text)
    auto = re.findall(r"<(https?://[^>\s]+)>", text)
    return inline + refs + auto


@pytest.mark.parametrize("path", SHIPPED, ids=_ids(SHIPPED))
def test_nothing_that_ships_mentions_the_shared_folder(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert "../shared" not in text and "shared/spec" not in text and "shared/reference" not in text


@pytest.mark.parametrize("path", SHIPPED, ids=_ids(SHIPPED))
def test_links_stay_in_the_repository_or_go_to_public_pages(path: Path) -> None:
    for target in _links(path.read_text(encoding="utf-8")):
        parts = urlsplit(target)
        if parts.scheme:
            host = parts.hostname or ""
            assert parts.scheme == "https" and any(
                host == h or host.endswith("." + h) for h in PUBLIC_HOSTS
            ), f"{path.name}: {target} is not a public page we link to"
            continue
        if not parts.path:  # "#anchor" on the same page
            continue
        linked = (path.parent / parts.path).resolve()
        assert linked.is_file(), f"{path.name}: {target} does not exist"
        assert ROOT in linked.parents, f"{path.name}: {target} leaves the repository"
        if path in DOCS:  # the site holds docs/ only: a link out of it breaks there
            assert (ROOT / "docs") in linked.parents, f"{path.name}: {target} leaves docs/"


def test_the_link_checks_catch_what_they_should(tmp_path: Path) -> None:
    text = (
        "[a](../shared/reference/DECISIONS.md) [b](https://example.org/x) <https://pypi.org/p>\n"
        "```python\nurl = 'https://api.example.com/health'  # code, not a link\n```\n"
        "`[c](not-a-link.md)`\n[d]: https://github.com/twilio/twilio-oai\n"
    )
    assert _links(text) == [
        "../shared/reference/DECISIONS.md",
        "https://example.org/x",
        "https://github.com/twilio/twilio-oai",
        "https://pypi.org/p",
    ]


def test_the_site_navigation_lists_every_page_and_only_pages_that_exist() -> None:
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    nav = re.findall(r"(?m)^\s+- (?:[^:\n]+: )?([\w/.-]+\.md)\s*$", config)
    assert sorted(nav) == sorted(p.relative_to(ROOT / "docs").as_posix() for p in DOCS)
    assert len(nav) == len(set(nav))


def test_included_files_exist_and_stay_single_sources() -> None:
    included = {
        name
        for page in DOCS
        for name in re.findall(r'(?m)^--8<-- "([^"]+)"$', page.read_text(encoding="utf-8"))
    }
    assert {"SECURITY.md", "CHANGELOG.md", "bench/RESULTS.md"} <= included
    for name in included:
        assert (ROOT / name).is_file(), name
        assert not name.startswith("docs/"), name
