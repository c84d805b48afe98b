"""Issue 17: the fake's JSON encoder. orjson when installed (the ``fast`` extra), the standard
library's public ``json.JSONEncoder`` otherwise; both give the same values, every page is one
style, and nothing reaches into ``json.encoder``'s private C hook any more."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from fake_trunking import FakeTrunkingService
from fake_trunking.core import jsontext

ROOT = Path(__file__).resolve().parents[1]

SAMPLES: Any = [
    {"a": 1, "b": [True, False, None], "c": {"d": "e"}},
    {"friendly_name": 'Zürich ☎ "quoted" \\ back\nslash \u2028 𝄞', "weight": 10},
    {"big": 2**70, "negative": -(2**63)},
    [],
    "plain",
]


@pytest.mark.parametrize("payload", SAMPLES)
def test_the_standard_library_encoder_is_json_dumps(payload: Any) -> None:
    assert jsontext.encode_stdlib(payload) == json.dumps(payload)


@pytest.mark.parametrize("payload", SAMPLES)
def test_the_fast_encoder_gives_the_same_values(payload: Any) -> None:
    if jsontext.encode_fast is None:
        pytest.skip("orjson is not installed (the 'fast' extra)")
    assert json.loads(jsontext.encode_fast(payload)) == payload
    assert jsontext.JSON_ENCODER == "orjson"


def test_no_private_json_api() -> None:
    source = "".join(
        p.read_text(encoding="utf-8") for p in (ROOT / "fake_trunking").rglob("*.py")
    )
    assert "c_make_encoder" not in source


PAGE = """
import json, sys
if sys.argv[1] == "stdlib":
    sys.modules["orjson"] = None  # as if the fast extra were not installed
from datetime import datetime, timezone
from fake_trunking import FakeTrunkingService
from fake_trunking.core import jsontext
moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
fake = FakeTrunkingService(seed=5, clock=lambda: moment)
fake.seed_trunks(count=3, friendly_name="Zürich")
with fake:
    client = fake.client()
    page = client.trunking.v1.trunks.page(page_size=2)
    body = fake.calls[-1].response.body.decode("utf-8")
print(json.dumps({"encoder": jsontext.JSON_ENCODER, "body": body, "n": len(list(page))}))
"""


def _page(kind: str) -> Any:
    done = subprocess.run(
        [sys.executable, "-c", PAGE, kind], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def test_pages_are_the_same_values_with_either_encoder_and_one_style_each() -> None:
    stdlib = _page("stdlib")
    assert stdlib["encoder"] == "json" and stdlib["n"] == 2
    assert '"trunks": [{"account_sid": ' in stdlib["body"]
    assert '"Z\\u00fcrich"' in stdlib["body"]
    default = _page("default")
    if default["encoder"] == "orjson":
        assert '"trunks":[{"account_sid":' in default["body"] and ", " not in default["body"]
    assert json.loads(default["body"]) == json.loads(stdlib["body"])


def test_a_cold_page_and_a_warm_page_are_the_same_bytes() -> None:
    with FakeTrunkingService(seed=6) as fake:
        fake.seed_trunks(count=5)
        trunks = fake.client().trunking.v1.trunks
        trunks.page(page_size=5)
        trunks.page(page_size=5)
        cold, warm = (c.response.body for c in fake.calls)
    assert cold == warm
    assert len(json.loads(cold)["trunks"]) == 5
