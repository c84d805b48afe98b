"""Validation of the fake's responses against Twilio's OpenAPI description.

The specs are read from ``../shared/spec/twilio_trunking_v1.json`` and
``../shared/spec/twilio_api_v2010.json`` next to the repository (or ``$FAKE_TRUNKING_SPEC`` and
``$FAKE_TRUNKING_V2010_SPEC``); they are never copied into the project. Where one is absent, the
tests that need it skip with a clear reason. A request's path picks the spec: ``/2010-04-01/...``
is API v2010's, anything else Trunking's.

Beyond the spec's own schemas, validation here is strict: every property the spec lists must be
present and no other may appear (the real service always sends the full representation). In
Trunking, dates must be ``YYYY-MM-DDTHH:MM:SSZ`` and URIs absolute; in v2010, dates
(``date-time-rfc-2822``) must be ``Wed, 19 Aug 2015 19:48:45 +0000``, a ``uri`` is relative to
the host (``/2010-04-01/...``) and a ``uri-map`` maps names to such URIs.
"""

from __future__ import annotations

import copy
import json
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parents[1]
SPEC_PATH = Path(
    os.environ.get(
        "FAKE_TRUNKING_SPEC", ROOT.parent / "shared" / "spec" / "twilio_trunking_v1.json"
    )
)
V2010_SPEC_PATH = Path(
    os.environ.get(
        "FAKE_TRUNKING_V2010_SPEC", ROOT.parent / "shared" / "spec" / "twilio_api_v2010.json"
    )
)
V2010_PREFIX = "/2010-04-01/"
_RFC2822 = re.compile(
    r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"\d{4} \d\d:\d\d:\d\d \+0000\Z"
)
_RELATIVE_URI = re.compile(r"/2010-04-01/\S+\Z")

_DATE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\Z")
_URI = re.compile(r"[a-z][a-z0-9+.-]*:\S+\Z", re.IGNORECASE)
_E164 = re.compile(r"\+[1-9][0-9]{6,14}\Z")


def spec_available() -> bool:
    return SPEC_PATH.is_file()


def v2010_spec_available() -> bool:
    return V2010_SPEC_PATH.is_file()


def require_spec() -> None:
    if not spec_available():
        pytest.skip(f"Twilio's OpenAPI spec is not at {SPEC_PATH} (set FAKE_TRUNKING_SPEC)")


def require_v2010_spec() -> None:
    if not v2010_spec_available():
        pytest.skip(
            f"Twilio's API v2010 spec is not at {V2010_SPEC_PATH} (set FAKE_TRUNKING_V2010_SPEC)"
        )


def is_v2010(path: str) -> bool:
    return path.startswith(V2010_PREFIX)


@lru_cache(maxsize=2)
def _load(path: Path) -> Dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        spec: Dict[str, Any] = json.load(fh)
    return spec


def load_spec() -> Dict[str, Any]:
    """The Trunking v1 spec."""
    return _load(SPEC_PATH)


def load_v2010_spec() -> Dict[str, Any]:
    """The API v2010 spec."""
    return _load(V2010_SPEC_PATH)


def _spec_for(path: str) -> Dict[str, Any]:
    return load_v2010_spec() if is_v2010(path) else load_spec()


def _strict(schema: Any) -> Any:
    """OpenAPI 3.0 -> JSON Schema: ``nullable`` becomes a null type, objects get closed."""
    if isinstance(schema, list):
        return [_strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _strict(v) for k, v in schema.items() if k not in ("nullable", "example")}
    if schema.get("nullable"):
        if "$ref" in out:
            out = {"anyOf": [{"$ref": out.pop("$ref")}, {"type": "null"}], **out}
        elif "type" in out:
            out["type"] = [out["type"], "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        # a nullable schema without a type (``recording``) already admits null
    props = out.get("properties")
    if isinstance(props, dict) and props and "format" not in out:
        out.setdefault("required", sorted(props))
        out.setdefault("additionalProperties", False)
    return out


@lru_cache(maxsize=2)
def _components(v2010: bool = False) -> Dict[str, Any]:
    doc = load_v2010_spec() if v2010 else load_spec()
    return {"schemas": _strict(copy.deepcopy(doc["components"]["schemas"]))}


_formats = jsonschema.FormatChecker()
_v2010_formats = jsonschema.FormatChecker()


@_v2010_formats.checks("date-time-rfc-2822")
def _rfc2822(value: object) -> bool:
    return not isinstance(value, str) or bool(_RFC2822.match(value))


@_v2010_formats.checks("uri")
def _relative_uri(value: object) -> bool:
    return not isinstance(value, str) or bool(_RELATIVE_URI.match(value) or _URI.match(value))


@_v2010_formats.checks("uri-map")
def _uri_map(value: object) -> bool:
    return not isinstance(value, dict) or all(
        isinstance(v, str) and bool(_RELATIVE_URI.match(v)) for v in value.values()
    )


# v2010 shows a NANP number's ``friendly_name`` as ``(808) 925-1571`` (the spec's own examples),
# and that field is declared ``phone-number`` too
_NANP_FRIENDLY = re.compile(r"\([2-9][0-9]{2}\) [0-9]{3}-[0-9]{4}\Z")


@_v2010_formats.checks("phone-number")
def _v2010_phone(value: object) -> bool:
    return not isinstance(value, str) or bool(_E164.match(value) or _NANP_FRIENDLY.match(value))


@_v2010_formats.checks("http-method")
def _v2010_http_method(value: object) -> bool:
    return not isinstance(value, str) or value in ("GET", "POST")


@_formats.checks("date-time")
def _date_time(value: object) -> bool:
    return not isinstance(value, str) or bool(_DATE.match(value))


@_formats.checks("uri")
def _uri(value: object) -> bool:
    return not isinstance(value, str) or bool(_URI.match(value))


@_formats.checks("phone-number")
def _phone(value: object) -> bool:
    return not isinstance(value, str) or bool(_E164.match(value))


@_formats.checks("http-method")
def _http_method(value: object) -> bool:
    return not isinstance(value, str) or value in ("GET", "POST")


def _template_regex(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{[A-Za-z]+\\\}", "[^/]+", re.escape(template)) + "$")


@lru_cache(maxsize=2)
def _templates(v2010: bool = False) -> List[Tuple[re.Pattern[str], str]]:
    doc = load_v2010_spec() if v2010 else load_spec()
    # literal templates first: ``IncomingPhoneNumbers/Local.json`` before ``.../{Sid}.json``
    ordered = sorted(doc["paths"], key=lambda p: p.count("{"))
    return [(_template_regex(p), p) for p in ordered]


def operation_for(method: str, path: str) -> Optional[Tuple[str, Dict[str, Any]]]:
    """``(path template, operation object)`` of the spec for a concrete request, or None."""
    doc = _spec_for(path)
    for regex, template in _templates(is_v2010(path)):
        if regex.match(path):
            op = doc["paths"][template].get(method.lower())
            if op is not None:
                return template, op
    return None


ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "code": {"type": "integer"},
        "message": {"type": "string", "minLength": 1},
        "more_info": {"type": "string", "pattern": r"^https://www\.twilio\.com/docs/errors/\d+$"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
    },
    "required": ["code", "message", "more_info", "status"],
    "additionalProperties": False,
}


def validate_response(method: str, path: str, status: int, body: Any) -> None:
    """Raise ``AssertionError`` when ``body`` is not what the spec allows for this request."""
    if status >= 400:
        jsonschema.validate(body, ERROR_SCHEMA)
        assert body["status"] == status, f"error body status {body['status']} != HTTP {status}"
        assert "type" not in body and "title" not in body
        return
    found = operation_for(method, path)
    assert found is not None, f"{method} {path} is not an operation of the spec"
    template, op = found
    declared = op["responses"]
    assert str(status) in declared, f"{method} {template} answered {status}; spec: {list(declared)}"
    content = declared[str(status)].get("content")
    if content is None:
        assert body is None, f"{method} {template} {status} must have an empty body"
        return
    v2010 = is_v2010(path)
    schema = _strict(copy.deepcopy(content["application/json"]["schema"]))
    schema["components"] = _components(v2010)
    validator = jsonschema.Draft7Validator(
        schema, format_checker=_v2010_formats if v2010 else _formats
    )
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.path))
    if errors:
        detail = "; ".join(f"{list(e.path)}: {e.message}" for e in errors[:5])
        raise AssertionError(f"{method} {path} -> {status} does not match the spec: {detail}")


def validate_headers(method: str, path: str, status: int, headers: Dict[str, str]) -> None:
    """Raise ``AssertionError`` unless every header the spec declares on this answer is sent
    (names compared in any case, as HTTP does); a boolean header must be ``true``/``false``."""
    if status >= 400:
        return
    found = operation_for(method, path)
    if found is None:
        return
    declared = found[1]["responses"].get(str(status), {}).get("headers") or {}
    sent = {k.lower(): v for k, v in headers.items()}
    for name, header in declared.items():
        assert name.lower() in sent, f"{method} {path} -> {status}: no {name} header"
        if (header.get("schema") or {}).get("type") == "boolean":
            assert sent[name.lower()] in ("true", "false"), f"{name}: {sent[name.lower()]!r}"
