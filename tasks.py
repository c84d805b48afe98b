#!/usr/bin/env python3
"""Project tasks; each one sets up what it needs (a virtual environment in .venv) first.

    python3 tasks.py demo         # the offline demo: the real twilio client against the fake
    python3 tasks.py test         # ruff, mypy (strict) and the whole test suite, in parallel
    python3 tasks.py test-oldest  # the twilio-client tests against the oldest supported twilio
    python3 tasks.py docs         # the documentation site, built strictly into site/
    python3 tasks.py package      # build sdist and wheel, twine check, try the wheel as a user
    python3 tasks.py bench        # the benchmark (writes bench/RESULTS.md)
    python3 tasks.py clients      # npm-install twilio-node and twilio-cli into .node-clients/

Only the Python 3 standard library is needed to run this file.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import venv
import zipfile
from pathlib import Path
from typing import Dict, List, Optional

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("FAKE_TRUNKING_VENV", ROOT / ".venv"))
OLDEST_VENV = ROOT / ".venv-twilio-oldest"
# the unmodified Node clients tests/test_proxy_clients.py drives (tests/node/package.json)
NODE_CLIENTS = ROOT / ".node-clients"
NODE_PACKAGE = ROOT / "tests" / "node" / "package.json"


def _bin(env: Path) -> Path:
    return env / ("Scripts" if os.name == "nt" else "bin")


def _python(env: Path) -> Path:
    return _bin(env) / ("python.exe" if os.name == "nt" else "python")


BIN = _bin(VENV)
PY = _python(VENV)

# The oldest twilio run: the tests that drive the fake through the twilio client without using
# client APIs newer than the oldest twilio (twilio 8 has no ``*_with_http_info`` methods, refuses
# ``Client()`` without credentials and sends booleans as "True"). They cover every README and
# docs example (sync, async, plugin, faults, cassettes, server), the plugin, the demo, pagination,
# errors, faults, coexistence with other mocks, server mode and the async interception.
OLDEST_TWILIO_TESTS = [
    "tests/test_readme.py",
    "tests/test_plugin.py",
    "tests/test_async_plugin.py",
    "tests/test_mock_decorator.py",
    "tests/test_demo_cli.py",
    "tests/test_pagination.py",
    "tests/test_errors.py",
    "tests/test_faults.py",
    "tests/test_coexistence.py",
    "tests/test_server.py",
    "tests/test_async_adapter.py",
]


def run(*cmd: object, cwd: Optional[Path] = None, env: Optional[Dict[str, str]] = None) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], cwd=cwd or ROOT, check=True, env=env)


def output(*cmd: object, cwd: Optional[Path] = None) -> str:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    done = subprocess.run(
        [str(c) for c in cmd], cwd=cwd or ROOT, capture_output=True, text=True, env=_clean_env()
    )
    print(done.stdout + done.stderr, end="", flush=True)
    if done.returncode:
        raise subprocess.CalledProcessError(done.returncode, cmd)
    return done.stdout + done.stderr


def _clean_env() -> Dict[str, str]:
    """The environment without anything that would let a subprocess import this checkout."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def setup(env: Path = VENV, extra: str = "", stamp_name: str = ".fake-trunking-installed") -> None:
    """Create the environment and install the package with its dev extra (once per pyproject)."""
    py = _python(env)
    stamp = env / stamp_name
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extra.encode()).hexdigest()
    if stamp.is_file() and stamp.read_text() == wanted and py.exists():
        return
    if not py.exists():
        print(f"creating a virtual environment in {env}", flush=True)
        venv.create(env, with_pip=True)
    run(py, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(py, "-m", "pip", "install", "--quiet", "-e", ".[dev]", *([extra] if extra else []))
    stamp.write_text(wanted)


def oldest_twilio() -> str:
    """The lower bound of the ``twilio`` extra in pyproject.toml, e.g. ``8.0``."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    found = re.search(r'^twilio = \["twilio>=([0-9.]+),', text, re.M)
    if not found:
        raise SystemExit('pyproject.toml: no `twilio = ["twilio>=X,<Y"]` extra found')
    return found.group(1)


def test_oldest() -> None:
    version = oldest_twilio()
    setup(OLDEST_VENV, f"twilio=={version}.*", ".fake-trunking-oldest-installed")
    py = _python(OLDEST_VENV)
    run(py, "-c", "import twilio; print('twilio', twilio.__version__)")
    run(py, "-m", "pytest", "-n", "auto", "-p", "no:cacheprovider", *OLDEST_TWILIO_TESTS)


def docs() -> None:
    setup()
    site = ROOT / "site"
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    run(PY, "-m", "mkdocs", "build", "--strict", "--site-dir", site, env=env)
    # The API page lists every public name (fake_trunking.__all__), documented or not.
    names = output(PY, "-c", "import fake_trunking as f; print(' '.join(f.__all__))").split()
    page = (site / "api" / "index.html").read_text(encoding="utf-8")
    missing = [n for n in names if not n.startswith("_") and f'id="fake_trunking.{n}"' not in page]
    if missing:
        raise SystemExit(f"docs/api.md: the API reference is missing {', '.join(missing)}")
    print(f"docs: built {site} ({len(names)} public names in the API reference)")


def _readme_files() -> Dict[str, str]:
    """The README's Python examples as a downstream project would save them.

    A block whose first line is ``# <name>.py`` is that file (the pytest example); the other
    blocks, in order, make ``readme_examples.py``.
    """
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    files: Dict[str, str] = {}
    scripts: List[str] = []
    for code in re.findall(r"```python\n(.*?)```", text, re.S):
        named = re.match(r"# (\w+\.py)\n", code)
        if named:
            files[named.group(1)] = code
        else:
            scripts.append(code)
    if not files or not scripts:
        raise SystemExit("README.md: no pytest example (a block starting `# test_x.py`) found")
    files["readme_examples.py"] = "\n".join(scripts)
    return files


def package() -> None:
    setup()
    work = Path(tempfile.mkdtemp(prefix="fake-trunking-package-"))
    try:
        dist = work / "dist"
        run(PY, "-m", "build", "--quiet", "--outdir", dist)
        built = sorted(dist.iterdir())
        run(PY, "-m", "twine", "check", "--strict", *built)
        wheel = next(p for p in built if p.suffix == ".whl")
        _check_wheel(wheel)

        print("+ a fresh virtual environment, as a user's project has", flush=True)
        user = work / "venv"
        venv.create(user, with_pip=True)
        upy = _python(user)
        run(upy, "-m", "pip", "install", "--quiet", f"{wheel}[cassettes,async,twilio]", "pytest")
        project = work / "project"
        project.mkdir()
        version = output(_bin(user) / "fake-trunking", "--version", cwd=project).split()[-1]
        reported = output(
            upy, "-c", "import fake_trunking; print(fake_trunking.__version__)", cwd=project
        ).strip()
        if not (version == reported and wheel.name.startswith(f"fake_trunking-{version}-")):
            raise SystemExit(f"versions disagree: cli {version}, package {reported}, {wheel.name}")
        leaked = output(
            upy,
            "-c",
            "import importlib.util as u; print(u.find_spec('pytest_asyncio') is not None)",
            cwd=project,
        ).strip()
        if leaked != "False":
            raise SystemExit("the users' extras pull in pytest-asyncio")
        for name, code in _readme_files().items():
            (project / name).write_text(code, encoding="utf-8")
        # The README's examples with the newest twilio of the range, then beside the oldest.
        for twilio in ("", f"twilio=={oldest_twilio()}.*"):
            if twilio:
                run(upy, "-m", "pip", "install", "--quiet", twilio)
            run(upy, "-c", "import twilio; print('twilio', twilio.__version__)", cwd=project)
            run(upy, "readme_examples.py", cwd=project, env=_clean_env())
            report = output(
                upy, "-m", "pytest", "-p", "no:cacheprovider", "-W", "error", "-v", cwd=project
            )
            if re.search(r"warning", report, re.I) or " passed" not in report:
                raise SystemExit("the README's pytest example did not pass cleanly (see above)")
        names = ", ".join(p.name for p in built)
        print(f"package: {names} install and pass as a user's project (newest and oldest twilio)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _check_wheel(wheel: Path) -> None:
    """Every module and data file of the package is in the wheel, with both entry points."""
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = next(
            archive.read(n).decode() for n in names if n.endswith(".dist-info/entry_points.txt")
        )
    package_dir = ROOT / "fake_trunking"
    wanted = {
        p.relative_to(ROOT).as_posix()
        for p in package_dir.rglob("*")
        if p.is_file() and (p.suffix == ".py" or p.name == "py.typed")
    }
    missing = sorted(wanted - names)
    if missing:
        raise SystemExit(f"{wheel.name} lacks {', '.join(missing)}")
    if not any(n.endswith("LICENSE") for n in names):
        raise SystemExit(f"{wheel.name} lacks the LICENSE")
    for needed in (
        "[pytest11]",
        "fake_trunking = fake_trunking.pytest_plugin",
        "[console_scripts]",
        "fake-trunking = fake_trunking.cli:main",
    ):
        if needed not in entry_points:
            raise SystemExit(f"{wheel.name}: entry_points.txt lacks {needed!r}")
    print(f"{wheel.name}: {len(wanted)} package files, LICENSE and both entry points", flush=True)


def clients() -> None:
    """Install twilio (Node) and twilio-cli, as pinned by range in tests/node/package.json, into
    .node-clients/; again only when that package.json changed (npm's own cache makes a
    reinstall mostly offline)."""
    import time

    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("clients: npm was not found on PATH (node 20 and npm are needed)")
    wanted = hashlib.sha256(NODE_PACKAGE.read_bytes()).hexdigest()
    stamp = NODE_CLIENTS / ".fake-trunking-installed"
    cli = NODE_CLIENTS / "node_modules" / ".bin" / "twilio"
    if stamp.is_file() and stamp.read_text() == wanted and cli.exists():
        print(f"clients: {NODE_CLIENTS.name}/ is up to date with {NODE_PACKAGE.name}")
    else:
        started = time.monotonic()
        NODE_CLIENTS.mkdir(exist_ok=True)
        stamp.unlink(missing_ok=True)
        shutil.copyfile(NODE_PACKAGE, NODE_CLIENTS / "package.json")
        run(
            npm, "install", "--no-audit", "--no-fund", "--prefer-offline", "--omit=dev",
            "--loglevel=error", cwd=NODE_CLIENTS,
        )  # fmt: skip
        stamp.write_text(wanted)
        print(f"clients: installed in {time.monotonic() - started:.0f} s", flush=True)
    env = dict(os.environ, TWILIO_DISABLE_AUTOUPDATE="1", TWILIO_SKIP_NEW_VERSION_CHECK="1")
    home = Path(tempfile.mkdtemp(prefix="fake-trunking-cli-home-"))
    try:
        run(cli, "--version", env=dict(env, HOME=str(home)))
    finally:
        shutil.rmtree(home, ignore_errors=True)
    run("node", "-e", "console.log('twilio (node)', require('twilio/package.json').version)",
        cwd=NODE_CLIENTS)  # fmt: skip


def main(argv: List[str]) -> int:
    task = argv[0] if argv else "help"
    rest = argv[1:]
    if task == "demo":
        setup()
        run(BIN / "fake-trunking", "demo", *rest)
    elif task == "test":
        setup()
        run(PY, "-m", "ruff", "check", "fake_trunking", "tests", "tasks.py")
        run(PY, "-m", "mypy")
        run(PY, "-m", "pytest", "-n", "auto", *rest)
    elif task == "test-oldest":
        test_oldest()
    elif task == "docs":
        docs()
    elif task == "package":
        package()
    elif task == "clients":
        clients()
    elif task == "bench":
        setup()
        run(PY, "-m", "bench", *rest)
    else:
        print(__doc__)
        return 0 if task in ("help", "-h", "--help") else 2
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except subprocess.CalledProcessError as exc:
        sys.exit(exc.returncode or 1)
