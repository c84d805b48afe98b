"""The fake implements exactly the spec: operations, their form parameters (names, required flags,
types, formats, patterns, enums), the list query parameters, success statuses and response fields.

``differences(spec)`` compares what ``fake_trunking.resources`` and ``fake_trunking.handler``
declare with a spec document; the test asserts there is none, and other tests feed it altered
copies of the spec to prove that a spec that gained or lost anything fails."""

from __future__ import annotations

import copy
from typing import Any, Dict, List, Optional, Set, Tuple

import pytest

from fake_trunking import handler
from fake_trunking.apis.trunking_v1 import ALL, Resource
from fake_trunking.core.params import Param

from . import spec as spec_module

VERB = {
    "list": "List",
    "create": "Create",
    "fetch": "Fetch",
    "update": "Update",
    "delete": "Delete",
}
STATUS = {"list": 200, "create": 201, "fetch": 200, "update": 200, "delete": 204}

# our Param.format -> the spec's ``format`` (a ``sip:`` URL is a URI; SIDs carry a pattern)
FORMATS: Dict[Optional[str], Optional[str]] = {
    None: None,
    "uri": "uri",
    "http-method": "http-method",
    "sip-url": "uri",
    "sid": None,
    "phone-number": "phone-number",
}


def _sid_pattern(prefix: str) -> str:
    return f"^{prefix}[0-9a-fA-F]{{32}}$"


def _param_view(p: Param, required: bool) -> Dict[str, Any]:
    view: Dict[str, Any] = {
        "required": required,
        "type": p.type,
        "format": FORMATS[p.format],
        "enum": sorted(p.enum),
        "pattern": p.pattern,
    }
    if p.format == "sid":
        view["maxLength"] = p.max_length
    return view


def _spec_param_view(
    schema: Dict[str, Any], required: bool, components: Dict[str, Any]
) -> Dict[str, Any]:
    if "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[1]]
    view: Dict[str, Any] = {
        "required": required,
        "type": schema.get("type"),
        "format": schema.get("format"),
        "enum": sorted(schema.get("enum", [])),
        "pattern": schema.get("pattern"),
    }
    if "maxLength" in schema:
        view["maxLength"] = schema["maxLength"]
    return view


def implemented() -> Dict[Tuple[str, str], Tuple[str, Resource, str]]:
    """``(METHOD, path template) -> (operationId, resource, kind)`` that the fake serves."""
    ops: Dict[Tuple[str, str], Tuple[str, Resource, str]] = {}
    for r in ALL:
        if r.key is not None:
            for method in sorted(r.list_methods):
                kind = {"GET": "list", "POST": "create"}[method]
                ops[(method, r.list_template())] = (VERB[kind] + r.name, r, kind)
        for method in sorted(r.instance_methods):
            kind = {"GET": "fetch", "POST": "update", "DELETE": "delete"}[method]
            ops[(method, r.instance_template())] = (VERB[kind] + r.name, r, kind)
    return ops


def _form_params(r: Resource, kind: str) -> Dict[str, Dict[str, Any]]:
    if kind == "create":
        return {p.name: _param_view(p, p.name in r.required_on_create) for p in r.create_params()}
    if kind == "update":
        return {p.name: _param_view(p, False) for p in r.update_params()}
    return {}


def _path_params(r: Resource, template: str) -> Dict[str, str]:
    """The path parameters of ``template`` and the SID pattern the fake's router accepts."""
    out: Dict[str, str] = {}
    if "{TrunkSid}" in template:
        out["TrunkSid"] = _sid_pattern("TK")
    if template.endswith("{Sid}"):
        assert r.prefix is not None
        out["Sid"] = _sid_pattern(r.prefix)
    return out


def differences(spec: Dict[str, Any]) -> List[str]:
    """Everything in which the fake and ``spec`` disagree (empty when they match exactly)."""
    problems: List[str] = []
    components = spec["components"]["schemas"]
    ours = implemented()
    theirs: Dict[Tuple[str, str], Dict[str, Any]] = {}
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method in ("get", "post", "put", "patch", "delete", "head", "options"):
                theirs[(method.upper(), path)] = op
    for missing in sorted(set(theirs) - set(ours)):
        problems.append(f"not implemented: {missing[0]} {missing[1]}")
    for extra in sorted(set(ours) - set(theirs)):
        problems.append(f"not in the spec: {extra[0]} {extra[1]}")

    for key in sorted(set(ours) & set(theirs)):
        op_id, r, kind = ours[key]
        op = theirs[key]
        where = f"{key[0]} {key[1]}"
        if op.get("operationId") != op_id:
            problems.append(f"{where}: operationId {op.get('operationId')} != {op_id}")
        success = sorted(int(s) for s in op.get("responses", {}) if s.startswith("2"))
        if success != [STATUS[kind]]:
            problems.append(f"{where}: success statuses {success} != [{STATUS[kind]}]")

        # path and query parameters
        path_params: Dict[str, str] = {}
        query: Dict[str, Dict[str, Any]] = {}
        for p in op.get("parameters", []):
            if p["in"] == "path":
                path_params[p["name"]] = p["schema"].get("pattern")
            elif p["in"] == "query":
                query[p["name"]] = {
                    "type": p["schema"].get("type"),
                    "minimum": p["schema"].get("minimum"),
                    "maximum": p["schema"].get("maximum"),
                }
            else:
                problems.append(f"{where}: unexpected {p['in']} parameter {p['name']}")
        if path_params != _path_params(r, key[1]):
            problems.append(f"{where}: path parameters {path_params} != {_path_params(r, key[1])}")
        expected_query: Dict[str, Dict[str, Any]] = {}
        if kind == "list":
            for p in handler.LIST_PARAMS:
                expected_query[p.name] = {
                    "type": p.type,
                    "minimum": p.minimum,
                    "maximum": handler.MAX_PAGE_SIZE if p is handler.PAGE_SIZE else p.maximum,
                }
        if query != expected_query:
            problems.append(f"{where}: query parameters {query} != {expected_query}")

        # form parameters
        body = op.get("requestBody", {}).get("content", {})
        form_schema = body.get("application/x-www-form-urlencoded", {}).get("schema", {})
        if set(body) - {"application/x-www-form-urlencoded"}:
            problems.append(f"{where}: request content types {sorted(body)}")
        required: Set[str] = set(form_schema.get("required", []))
        spec_form = {
            name: _spec_param_view(schema, name in required, components)
            for name, schema in form_schema.get("properties", {}).items()
        }
        our_form = _form_params(r, kind)
        for name in sorted(set(spec_form) | set(our_form)):
            if spec_form.get(name) != our_form.get(name):
                problems.append(
                    f"{where}: form parameter {name}: spec {spec_form.get(name)} != "
                    f"fake {our_form.get(name)}"
                )

        # response fields
        if kind == "delete":
            if op["responses"].get("204", {}).get("content"):
                problems.append(f"{where}: a delete with a body")
            continue
        content = op.get("responses", {}).get(str(STATUS[kind]), {}).get("content", {})
        schema = content.get("application/json", {}).get("schema", {})
        if kind == "list":
            props = set(schema.get("properties", {}))
            if props != {r.key, "meta"}:
                problems.append(f"{where}: list keys {sorted(props)} != {[r.key, 'meta']}")
            items = schema.get("properties", {}).get(r.key, {}).get("items", {})
            ref = items.get("$ref", "")
            meta = set(schema.get("properties", {}).get("meta", {}).get("properties", {}))
            if meta != META:
                problems.append(f"{where}: meta fields {sorted(meta)} != {sorted(META)}")
        else:
            ref = schema.get("$ref", "")
        name = ref.rsplit("/", 1)[-1]
        if name != r.schema:
            problems.append(f"{where}: response schema {name} != {r.schema}")
            continue
        fields = set(components[name].get("properties", {}))
        if fields != set(r.fields):
            problems.append(
                f"{where}: response fields missing {sorted(fields - set(r.fields))}, "
                f"extra {sorted(set(r.fields) - fields)}"
            )
    return problems


META = {"page", "page_size", "first_page_url", "previous_page_url", "url", "next_page_url", "key"}


def load() -> Dict[str, Any]:
    """A private copy of the spec; skips (with the reason) when the spec file is absent."""
    spec_module.require_spec()
    return copy.deepcopy(spec_module.load_spec())


@pytest.fixture
def spec() -> Dict[str, Any]:
    return load()


def test_the_fake_implements_exactly_the_spec(spec: Dict[str, Any]) -> None:
    assert differences(spec) == []


def test_all_24_operations_on_11_paths(spec: Dict[str, Any]) -> None:
    # The issue texts and trunking-api.md say "26 operations"; the spec has 24 on its 11 paths
    # (Trunks 5, OriginationUrls 5, CredentialLists 4, IpAccessControlLists 4, PhoneNumbers 4,
    # Recording 2), and differences() above proves the fake serves exactly those.
    ops = implemented()
    assert len(ops) == 24
    assert len({path for _method, path in ops}) == 11


def test_response_enums_match_the_spec(spec: Dict[str, Any]) -> None:
    from fake_trunking.apis.trunking_v1.association import ADDRESS_REQUIREMENTS
    from fake_trunking.apis.trunking_v1.recording import MODES, TRIMS
    from fake_trunking.apis.trunking_v1.trunk import TRANSFER_CALLER_IDS, TRANSFER_MODES

    components = spec["components"]["schemas"]
    assert (
        tuple(components["phone_number_enum_address_requirement"]["enum"]) == ADDRESS_REQUIREMENTS
    )
    assert tuple(components["recording_enum_recording_mode"]["enum"]) == MODES
    assert tuple(components["recording_enum_recording_trim"]["enum"]) == TRIMS
    assert tuple(components["trunk_enum_transfer_setting"]["enum"]) == TRANSFER_MODES
    assert tuple(components["trunk_enum_transfer_caller_id"]["enum"]) == TRANSFER_CALLER_IDS
    method = components["trunking.v1.trunk"]["properties"]["disaster_recovery_method"]["enum"]
    assert tuple(method) == ("GET", "POST")


# -- the comparison catches every kind of change ---------------------------------------------


def _mutations() -> List[Tuple[str, Any]]:
    def add_operation(s: Dict[str, Any]) -> None:
        s["paths"]["/v1/Trunks"]["delete"] = copy.deepcopy(s["paths"]["/v1/Trunks/{Sid}"]["delete"])

    def drop_operation(s: Dict[str, Any]) -> None:
        del s["paths"]["/v1/Trunks/{TrunkSid}/Recording"]["post"]

    def add_path(s: Dict[str, Any]) -> None:
        s["paths"]["/v1/Trunks/{TrunkSid}/Subdomains"] = {
            "get": copy.deepcopy(s["paths"]["/v1/Trunks/{TrunkSid}/PhoneNumbers"]["get"])
        }

    def _form(s: Dict[str, Any], path: str, method: str) -> Dict[str, Any]:
        body = s["paths"][path][method]["requestBody"]["content"]
        schema: Dict[str, Any] = body["application/x-www-form-urlencoded"]["schema"]
        return schema

    def add_parameter(s: Dict[str, Any]) -> None:
        _form(s, "/v1/Trunks", "post")["properties"]["SymmetricRtpEnabled"] = {"type": "boolean"}

    def drop_parameter(s: Dict[str, Any]) -> None:
        del _form(s, "/v1/Trunks/{Sid}", "post")["properties"]["Secure"]

    def require_parameter(s: Dict[str, Any]) -> None:
        _form(s, "/v1/Trunks", "post")["required"] = ["FriendlyName"]

    def unrequire_parameter(s: Dict[str, Any]) -> None:
        _form(s, "/v1/Trunks/{TrunkSid}/OriginationUrls", "post")["required"].remove("SipUrl")

    def retype_parameter(s: Dict[str, Any]) -> None:
        _form(s, "/v1/Trunks/{TrunkSid}/OriginationUrls", "post")["properties"]["Weight"][
            "type"
        ] = "string"

    def add_enum_value(s: Dict[str, Any]) -> None:
        s["components"]["schemas"]["recording_enum_recording_trim"]["enum"].append("trim-all")

    def drop_enum_value(s: Dict[str, Any]) -> None:
        s["components"]["schemas"]["trunk_enum_transfer_setting"]["enum"].remove("sip-only")

    def change_http_method_enum(s: Dict[str, Any]) -> None:
        _form(s, "/v1/Trunks", "post")["properties"]["DisasterRecoveryMethod"]["enum"].append("PUT")

    def change_sid_pattern(s: Dict[str, Any]) -> None:
        _form(s, "/v1/Trunks/{TrunkSid}/PhoneNumbers", "post")["properties"]["PhoneNumberSid"][
            "pattern"
        ] = "^PX[0-9a-fA-F]{32}$"

    def add_query_parameter(s: Dict[str, Any]) -> None:
        s["paths"]["/v1/Trunks"]["get"]["parameters"].append(
            {"name": "FriendlyName", "in": "query", "schema": {"type": "string"}}
        )

    def change_max_page_size(s: Dict[str, Any]) -> None:
        params = s["paths"]["/v1/Trunks/{TrunkSid}/CredentialLists"]["get"]["parameters"]
        next(p for p in params if p["name"] == "PageSize")["schema"]["maximum"] = 500

    def add_field(s: Dict[str, Any]) -> None:
        s["components"]["schemas"]["trunking.v1.trunk"]["properties"]["region"] = {"type": "string"}

    def drop_field(s: Dict[str, Any]) -> None:
        del s["components"]["schemas"]["trunking.v1.trunk.phone_number"]["properties"]["beta"]

    def change_status(s: Dict[str, Any]) -> None:
        responses = s["paths"]["/v1/Trunks/{TrunkSid}/Recording"]["post"]["responses"]
        responses["202"] = responses.pop("200")

    def rename_list_key(s: Dict[str, Any]) -> None:
        props = s["paths"]["/v1/Trunks/{TrunkSid}/PhoneNumbers"]["get"]["responses"]["200"][
            "content"
        ]["application/json"]["schema"]["properties"]
        props["numbers"] = props.pop("phone_numbers")

    return [
        (f.__name__, f)
        for f in (
            add_operation,
            drop_operation,
            add_path,
            add_parameter,
            drop_parameter,
            require_parameter,
            unrequire_parameter,
            retype_parameter,
            add_enum_value,
            drop_enum_value,
            change_http_method_enum,
            change_sid_pattern,
            add_query_parameter,
            change_max_page_size,
            add_field,
            drop_field,
            change_status,
            rename_list_key,
        )
    ]


@pytest.mark.parametrize(("name", "mutate"), _mutations(), ids=[n for n, _ in _mutations()])
def test_a_spec_change_is_detected(spec: Dict[str, Any], name: str, mutate: Any) -> None:
    mutate(spec)
    assert differences(spec), f"{name} went unnoticed"


def test_skips_with_a_clear_reason_without_the_spec(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    absent = tmp_path / "absent.json"
    monkeypatch.setattr(spec_module, "SPEC_PATH", absent)
    with pytest.raises(pytest.skip.Exception) as info:
        load()
    assert str(info.value) == (f"Twilio's OpenAPI spec is not at {absent} (set FAKE_TRUNKING_SPEC)")


# -- API v2010: the operations the fake serves, exactly as the spec has them ------------------

# the spec's operations on the paths the fake serves that it deliberately leaves out, and why
V2010_NOT_SERVED: Dict[Tuple[str, str], str] = {}
V2010_LIST_KEYS = {
    "first_page_uri", "next_page_uri", "previous_page_uri", "page", "page_size", "start", "end",
    "uri",
}  # fmt: skip


def v2010_implemented() -> Dict[Tuple[str, str], Tuple[str, Any, str]]:
    """``(METHOD, path template) -> (operationId, resource, kind)`` of v2010 the fake serves."""
    from fake_trunking.apis import api_v2010

    ops: Dict[Tuple[str, str], Tuple[str, Any, str]] = {}
    for r in api_v2010.RESOURCES:
        if r.key is not None:
            for method in sorted(r.list_methods):
                kind = {"GET": "list", "POST": "create"}[method]
                op_id = r.operation_ids.get(kind, VERB[kind] + r.name)
                ops[(method, r.list_template())] = (op_id, r, kind)
        for method in sorted(r.instance_methods):
            kind = {"GET": "fetch", "POST": "update", "DELETE": "delete"}[method]
            op_id = r.operation_ids.get(kind, VERB[kind] + r.name)
            ops[(method, r.instance_template())] = (op_id, r, kind)
    return ops


def _v2010_path_params(r: Any, template: str) -> Dict[str, Optional[str]]:
    """The placeholders of ``template`` and the pattern the fake's router accepts for each."""
    import re as _re

    out: Dict[str, Optional[str]] = {}
    for name in _re.findall(r"\{([A-Za-z]+)\}", template):
        if name == "AccountSid" or (name == "Sid" and r.is_account):
            out[name] = _sid_pattern("AC")
            continue
        owner = r
        if name != r.item_param or template != r.instance_template():
            child, owner = r, r.parent
            while owner is not None and child.parent_param != name:
                child, owner = owner, owner.parent
        out[name] = _sid_pattern(owner.prefix) if owner is not None and owner.prefix else None
    return out


def v2010_differences(spec: Dict[str, Any]) -> List[str]:
    """Everything in which the fake's v2010 resources and ``spec`` disagree: each served
    operation's id, statuses, path, query and form parameters and response fields; every
    operation of a served path is served or listed in ``V2010_NOT_SERVED``."""
    problems: List[str] = []
    components = spec["components"]["schemas"]
    ours = v2010_implemented()
    theirs: Dict[Tuple[str, str], Dict[str, Any]] = {}
    served_paths = {path for _m, path in ours}
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                theirs[(method.upper(), path)] = op
    for key in sorted(theirs):
        if key[1] in served_paths and key not in ours and key not in V2010_NOT_SERVED:
            problems.append(f"not implemented: {key[0]} {key[1]}")
    for key in sorted(set(ours) - set(theirs)):
        problems.append(f"not in the spec: {key[0]} {key[1]}")
    for key in sorted(set(V2010_NOT_SERVED) - set(theirs)):
        problems.append(f"left out but no longer in the spec: {key[0]} {key[1]}")
    for key in sorted(set(ours) & set(theirs)):
        op_id, r, kind = ours[key]
        op = theirs[key]
        where = f"{key[0]} {key[1]}"
        if op.get("operationId") != op_id:
            problems.append(f"{where}: operationId {op.get('operationId')} != {op_id}")
        success = sorted(int(s) for s in op.get("responses", {}) if s.startswith("2"))
        if success != [STATUS[kind]]:
            problems.append(f"{where}: success statuses {success} != [{STATUS[kind]}]")
        path_params: Dict[str, Optional[str]] = {}
        query: Dict[str, Dict[str, Any]] = {}
        for p in op.get("parameters", []):
            if p["in"] == "path":
                path_params[p["name"]] = p["schema"].get("pattern")
            elif p["in"] == "query":
                schema = p["schema"]
                if "$ref" in schema:  # an enum of the components (ListAccount's Status)
                    schema = components[schema["$ref"].rsplit("/", 1)[-1]]
                query[p["name"]] = {
                    "type": schema.get("type"),
                    "minimum": schema.get("minimum"),
                    "maximum": schema.get("maximum"),
                }
            else:
                problems.append(f"{where}: unexpected {p['in']} parameter {p['name']}")
        expected_path = _v2010_path_params(r, key[1])
        if path_params != expected_path:
            problems.append(f"{where}: path parameters {path_params} != {expected_path}")
        expected_query: Dict[str, Dict[str, Any]] = {}
        if kind == "list":
            for p in (*handler.LIST_PARAMS, *r.list_filters):
                expected_query[p.name] = {
                    "type": p.type,
                    "minimum": p.minimum,
                    "maximum": handler.MAX_PAGE_SIZE if p is handler.PAGE_SIZE else p.maximum,
                }
        if query != expected_query:
            problems.append(f"{where}: query parameters {query} != {expected_query}")
        body = op.get("requestBody", {}).get("content", {})
        form_schema = body.get("application/x-www-form-urlencoded", {}).get("schema", {})
        required: Set[str] = set(form_schema.get("required", []))
        spec_form = {
            name: _spec_param_view(schema, name in required, components)
            for name, schema in form_schema.get("properties", {}).items()
        }
        if kind == "create":
            our_form = {
                p.name: _param_view(p, p.name in r.required_on_create) for p in r.create_params()
            }
        elif kind == "update":
            our_form = {
                p.name: _param_view(p, p.name in r.required_on_update) for p in r.update_params()
            }
        else:
            our_form = {}
        for name in sorted(set(spec_form) | set(our_form)):
            if spec_form.get(name) != our_form.get(name):
                problems.append(
                    f"{where}: form parameter {name}: spec {spec_form.get(name)} != "
                    f"fake {our_form.get(name)}"
                )
        if kind == "delete":
            continue
        content = op.get("responses", {}).get(str(STATUS[kind]), {}).get("content", {})
        schema = content.get("application/json", {}).get("schema", {})
        if kind == "list":
            props = set(schema.get("properties", {}))
            # the spec's country list (ListAvailablePhoneNumberCountryResponse) is not a paged
            # list: its body is ``{countries, uri}`` only, which the fake answers as is
            list_keys = {"uri"} if r.key == "countries" else V2010_LIST_KEYS
            if props != {r.key, *list_keys}:
                problems.append(f"{where}: list keys {sorted(props)}")
            ref = schema.get("properties", {}).get(r.key, {}).get("items", {}).get("$ref", "")
        else:
            ref = schema.get("$ref", "")
        name = ref.rsplit("/", 1)[-1]
        want_schema, want_fields = r.schema, r.fields
        if kind == "create" and r.create_schema is not None:
            want_schema, want_fields = r.create_schema, r.create_fields
        if name != want_schema:
            problems.append(f"{where}: response schema {name} != {want_schema}")
            continue
        fields = set(components[name].get("properties", {}))
        if fields != set(want_fields):
            problems.append(
                f"{where}: response fields missing {sorted(fields - set(want_fields))}, "
                f"extra {sorted(set(want_fields) - fields)}"
            )
    return problems


def load_v2010() -> Dict[str, Any]:
    spec_module.require_v2010_spec()
    return copy.deepcopy(spec_module.load_v2010_spec())


@pytest.fixture
def v2010_spec() -> Dict[str, Any]:
    return load_v2010()


def test_the_fake_serves_its_v2010_operations_exactly_as_the_spec(
    v2010_spec: Dict[str, Any],
) -> None:
    assert v2010_differences(v2010_spec) == []


def test_the_v2010_operations_served(v2010_spec: Dict[str, Any]) -> None:
    ops = {op_id for op_id, _r, _k in v2010_implemented().values()}
    sip = {
        f"{verb}Sip{name}"
        for verb in ("List", "Create", "Fetch", "Update", "Delete")
        for name in ("CredentialList", "Credential", "IpAccessControlList", "IpAddress")
    }
    keys = {"ListKey", "CreateNewKey", "FetchKey", "UpdateKey", "DeleteKey"}
    numbers = {
        "ListIncomingPhoneNumber", "CreateIncomingPhoneNumber", "FetchIncomingPhoneNumber",
        "UpdateIncomingPhoneNumber", "DeleteIncomingPhoneNumber",
        *(f"{verb}IncomingPhoneNumber{t}" for verb in ("List", "Create")
          for t in ("Local", "Mobile", "TollFree")),
        "ListAvailablePhoneNumberCountry", "FetchAvailablePhoneNumberCountry",
        *(f"ListAvailablePhoneNumber{t}" for t in (
            "Local", "TollFree", "Mobile", "National", "Voip", "SharedCost", "MachineToMachine")),
    }  # fmt: skip
    accounts = {"ListAccount", "CreateAccount", "FetchAccount", "UpdateAccount"}
    assert sip | keys | numbers | accounts <= ops


def _v2010_mutations() -> List[Tuple[str, Any]]:
    cls = "/2010-04-01/Accounts/{AccountSid}/SIP/CredentialLists.json"
    creds = (
        "/2010-04-01/Accounts/{AccountSid}/SIP/CredentialLists/{CredentialListSid}/Credentials.json"
    )
    ips = (
        "/2010-04-01/Accounts/{AccountSid}/SIP/IpAccessControlLists/{IpAccessControlListSid}"
        "/IpAddresses.json"
    )

    def _form(s: Dict[str, Any], path: str, method: str) -> Dict[str, Any]:
        body = s["paths"][path][method]["requestBody"]["content"]
        schema: Dict[str, Any] = body["application/x-www-form-urlencoded"]["schema"]
        return schema

    def add_operation(s: Dict[str, Any]) -> None:
        s["paths"][cls]["delete"] = copy.deepcopy(s["paths"][creds]["get"])

    def drop_operation(s: Dict[str, Any]) -> None:
        del s["paths"][creds]["post"]

    def add_parameter(s: Dict[str, Any]) -> None:
        _form(s, creds, "post")["properties"]["Realm"] = {"type": "string"}

    def unrequire_parameter(s: Dict[str, Any]) -> None:
        _form(s, creds, "post")["required"].remove("Password")

    def retype_parameter(s: Dict[str, Any]) -> None:
        _form(s, ips, "post")["properties"]["CidrPrefixLength"]["type"] = "string"

    def add_field(s: Dict[str, Any]) -> None:
        schemas = s["components"]["schemas"]
        schemas["api.v2010.account.sip.sip_credential_list"]["properties"]["region"] = {}

    def drop_field(s: Dict[str, Any]) -> None:
        del s["components"]["schemas"]["api.v2010.account.new_key"]["properties"]["secret"]

    def change_status(s: Dict[str, Any]) -> None:
        responses = s["paths"][ips]["post"]["responses"]
        responses["200"] = responses.pop("201")

    def rename_operation(s: Dict[str, Any]) -> None:
        s["paths"]["/2010-04-01/Accounts/{AccountSid}/Keys.json"]["post"]["operationId"] = (
            "CreateKey"
        )

    def add_query_parameter(s: Dict[str, Any]) -> None:
        s["paths"][cls]["get"]["parameters"].append(
            {"name": "FriendlyName", "in": "query", "schema": {"type": "string"}}
        )

    return [
        (f.__name__, f)
        for f in (
            add_operation, drop_operation, add_parameter, unrequire_parameter, retype_parameter,
            add_field, drop_field, change_status, rename_operation, add_query_parameter,
        )
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "mutate"), _v2010_mutations(), ids=[n for n, _ in _v2010_mutations()]
)
def test_a_v2010_spec_change_is_detected(
    v2010_spec: Dict[str, Any], name: str, mutate: Any
) -> None:
    mutate(v2010_spec)
    assert v2010_differences(v2010_spec), f"{name} went unnoticed"
