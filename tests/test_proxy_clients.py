"""The real clients people have, unmodified, through ``serve --proxy`` with environment variables
only: twilio-cli, twilio-node (and its ``httpClient`` recipe for plain server mode) and curl.

The Node clients come from the npm registry (``python3 tasks.py clients`` installs them into
``.node-clients/``; CI runs it before the suite); without them these tests skip, saying so.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Dict, Iterator, List

import pytest

from fake_trunking import FakeTrunkingServer

ROOT = Path(__file__).resolve().parent.parent
NODE_CLIENTS = ROOT / ".node-clients"
NODE_MODULES = NODE_CLIENTS / "node_modules"
TWILIO_CLI = NODE_MODULES / ".bin" / "twilio"
SCENARIO = ROOT / "tests" / "node" / "scenario.js"

needs_node_clients = pytest.mark.skipif(
    not (TWILIO_CLI.exists() and (NODE_MODULES / "twilio").is_dir() and shutil.which("node")),
    reason="the Node clients are not installed: run `python3 tasks.py clients`",
)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[FakeTrunkingServer]:
    with FakeTrunkingServer(seed=5, proxy=True, ca_dir=tmp_path / "ca") as started:
        yield started


def client_env(server: FakeTrunkingServer, home: Path, proxy: bool = True) -> Dict[str, str]:
    """Only what a user sets: PATH, a HOME of its own, the credentials and (for proxy mode) the
    lines ``serve --proxy`` prints."""
    sid = server.fake.default_account_sid
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "XDG_DATA_HOME": str(home / "data"),
        "TWILIO_ACCOUNT_SID": sid,
        "TWILIO_AUTH_TOKEN": server.fake.auth_token(sid),
        "NODE_PATH": str(NODE_MODULES),
        # twilio-cli's own update checks (oclif): off, they would try the npm registry
        "TWILIO_DISABLE_AUTOUPDATE": "1",
        "TWILIO_SKIP_NEW_VERSION_CHECK": "1",
    }
    if proxy:
        env.update(server.proxy_environment())
    return env


def run(cmd: List[str], env: Dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=120)


# -- twilio-node ----------------------------------------------------------------------------------
def check_node_scenario(out: Dict[str, object], host: str) -> None:
    created = out["created"]
    assert isinstance(created, list) and len(created) == 5
    assert out["urls"] == [f"{host}/v1/Trunks/{sid}" for sid in created]
    assert out["paged"] == created  # each() walked three pages of 2
    assert str(out["next_page_url"]).startswith(f"{host}/v1/Trunks?")
    assert out["origination_paged"] == ["o-0", "o-1", "o-2"]  # a sub-resource, two pages
    assert out["not_found"] == {"status": 404, "code": 20404}
    assert out["bad_request"] == {"status": 400, "code": 20001}
    lists = out["v2010_lists"]  # API v2010 through the same client, one store with Trunking
    assert isinstance(lists, list) and len(lists) == 3 and out["v2010_paged"] == lists
    assert out["v2010_auth_type"] == "CREDENTIAL_LIST"


@needs_node_clients
def test_twilio_node_through_the_proxy(server: FakeTrunkingServer, tmp_path: Path) -> None:
    done = run(["node", str(SCENARIO)], client_env(server, tmp_path), tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    check_node_scenario(json.loads(done.stdout), "https://trunking.twilio.com")
    tokens = [c.request.query for c in server.fake.calls if "PageToken=" in c.request.query]
    assert len(tokens) >= 3  # the later pages came through the tunnel, not from anywhere else


@needs_node_clients
def test_twilio_node_http_client_recipe_for_plain_server_mode(tmp_path: Path) -> None:
    with FakeTrunkingServer(seed=6) as plain:
        env = client_env(plain, tmp_path, proxy=False)
        done = run(["node", str(SCENARIO), plain.base_url], env, tmp_path)
        assert done.returncode == 0, done.stderr[-3000:]
        check_node_scenario(json.loads(done.stdout), plain.base_url)


# -- twilio-cli -----------------------------------------------------------------------------------
@needs_node_clients
def test_twilio_cli_through_the_proxy(server: FakeTrunkingServer, tmp_path: Path) -> None:
    env = client_env(server, tmp_path)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return run([str(TWILIO_CLI), *args, "-o", "json"], env, tmp_path)

    # each CLI run is a Node start (about 1.5 s): one create, two trunks seeded beside it
    done = cli("api:trunking:v1:trunks:create", "--friendly-name", "cli-0")
    assert done.returncode == 0, done.stdout + done.stderr
    (trunk,) = json.loads(done.stdout)
    assert trunk["url"] == f"https://trunking.twilio.com/v1/Trunks/{trunk['sid']}"
    made = [trunk["sid"], *server.fake.seed_trunks(count=2)]

    done = cli("api:trunking:v1:trunks:list", "--page-size", "2")
    assert done.returncode == 0, done.stdout + done.stderr
    assert [t["sid"] for t in json.loads(done.stdout)] == made  # two pages, both through us
    assert any("PageToken=" in c.request.query for c in server.fake.calls)

    done = cli("api:trunking:v1:trunks:fetch", "--sid", made[0])
    assert done.returncode == 0 and json.loads(done.stdout)[0]["friendlyName"] == "cli-0"

    done = cli("api:trunking:v1:trunks:remove", "--sid", made[2])
    assert done.returncode == 0, done.stdout + done.stderr

    done = cli("api:trunking:v1:trunks:fetch", "--sid", made[2])  # a 404
    assert done.returncode != 0
    assert json.loads(done.stdout)[0]["code"] == 20404

    done = cli("api:trunking:v1:trunks:create", "--friendly-name", "x" * 65)  # a 400
    assert done.returncode != 0
    error = json.loads(done.stdout)[0]
    assert (error["status"], error["code"]) == (400, 20001)
    assert "FriendlyName" in error["message"]

    sid = server.fake.default_account_sid
    assert len(server.client(sid).trunking.v1.trunks.list()) == 2


# -- curl -----------------------------------------------------------------------------------------
@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_through_the_proxy(server: FakeTrunkingServer, tmp_path: Path) -> None:
    env = client_env(server, tmp_path)
    auth = f"{env['TWILIO_ACCOUNT_SID']}:{env['TWILIO_AUTH_TOKEN']}"
    base = "https://trunking.twilio.com/v1/Trunks"

    def curl(*args: str) -> subprocess.CompletedProcess[str]:
        cmd = ["curl", "-sS", "--proxy", env["HTTPS_PROXY"], "--cacert", env["SSL_CERT_FILE"]]
        cmd += ["-u", auth, "-w", "\n%{http_code}", *args]
        return run(cmd, {"PATH": env["PATH"], "HOME": env["HOME"]}, tmp_path)

    def answer(done: subprocess.CompletedProcess[str]) -> tuple:  # type: ignore[type-arg]
        assert done.returncode == 0, done.stderr
        body, _, status = done.stdout.rpartition("\n")
        return int(status), json.loads(body) if body else None

    sids = []
    for i in range(3):
        status, trunk = answer(curl(base, "-d", f"FriendlyName=curl-{i}"))
        assert status == 201 and trunk["url"] == f"{base}/{trunk['sid']}"
        sids.append(trunk["sid"])
    status, page = answer(curl(f"{base}?PageSize=2"))
    assert status == 200 and page["meta"]["next_page_url"].startswith(f"{base}?")
    status, second = answer(curl(page["meta"]["next_page_url"]))
    assert [t["sid"] for t in page["trunks"] + second["trunks"]] == sids
    assert answer(curl("-X", "DELETE", f"{base}/{sids[0]}"))[0] == 204
    status, error = answer(curl(f"{base}/{sids[0]}"))
    assert (status, error["code"]) == (404, 20404)
    status, error = answer(curl(base, "-d", "FriendlyName=" + "x" * 65))
    assert (status, error["code"]) == (400, 20001)
    done = curl("https://example.com/")  # not a served host: refused, never fetched
    assert done.returncode != 0 and "403" in done.stderr
