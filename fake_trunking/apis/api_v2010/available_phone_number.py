"""AvailablePhoneNumbers: the countries (``/AvailablePhoneNumbers.json``), one country
(``/AvailablePhoneNumbers/{CountryCode}.json``) and its number-type lists
(``/AvailablePhoneNumbers/{CountryCode}/{Local,TollFree,Mobile,National,Voip,SharedCost,
MachineToMachine}.json``).

Numbers are made on the fly by ``core.numbering`` (seeded, realistic, never one any account owns)
and nothing is stored: a search is a read. Rules (spec; docs/decisions.md "Phone numbers"):

- Countries served: US, CA, GB, NL; each lists the types it has in ``subresource_uris``. Another
  country, or a type the country does not have, is 404/20404 naming the path.
- Filters: ``AreaCode`` (US and CA), ``Contains`` (see ``numbering.parse_contains``),
  ``SmsEnabled``/``MmsEnabled``/``VoiceEnabled``/``FaxEnabled``, ``ExcludeAllAddressRequired``/
  ``ExcludeLocalAddressRequired``/``ExcludeForeignAddressRequired``, ``Beta`` (default true),
  ``InRegion``, ``InPostalCode``, ``InLocality``, ``InLata``, ``InRateCenter`` (with ``InLata``,
  as the spec says); ``PageSize`` caps the count (default 50, at most 1000).
- Geography (US and CA; ``numbering.Query.block_ok``): ``NearLatLong`` (``lat,long``) and
  ``NearNumber`` keep the numbers within ``Distance`` miles (default 25, 0 to 500) of that
  point / that number's locality, by great-circle distance; both given, a number must be near
  each. A number's coordinates are its locality's. ``Distance`` alone changes nothing. A
  ``NearNumber`` the fake cannot place (toll-free, another country, an area code not in its
  table) and a near query in GB or NL (no coordinates there) answer ``[]``. Bad values are
  400/20001 naming the parameter.
- A search answers one page: ``next_page_uri`` and ``previous_page_uri`` are null, and a
  ``PageToken`` (which the fake never issues here) is 400/21481.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional, Tuple

from ...core import errors, numbering
from ...core.collection import Collection, Record
from ...core.jsontext import COMMA, encode
from ...core.params import Param
from . import wire
from .base import Context, Resource

BOOLEAN_FILTERS = {
    name: Param(name, name, type="boolean")
    for name in (
        "SmsEnabled", "MmsEnabled", "VoiceEnabled", "FaxEnabled", "ExcludeAllAddressRequired",
        "ExcludeLocalAddressRequired", "ExcludeForeignAddressRequired", "Beta",
    )
}  # fmt: skip
AREA_CODE = Param("AreaCode", "area_code", type="integer", minimum=0, maximum=999)
DISTANCE = Param("Distance", "distance", type="integer", minimum=0, maximum=numbering.DISTANCE_MAX)
NEAR_NUMBER = Param("NearNumber", "near_number", max_length=64)
# the search filters as the spec declares them (``AreaCode`` and ``Distance`` integers; the
# fake's range rules are ``AREA_CODE``'s and ``DISTANCE``'s), parsed by the handler (400/20001)
# before ``list_body`` reads them
SPEC_FILTERS: Tuple[Param, ...] = (
    Param("AreaCode", "AreaCode", type="integer"),
    Param("Contains", "Contains"),
    *(BOOLEAN_FILTERS[n] for n in (
        "SmsEnabled", "MmsEnabled", "VoiceEnabled", "ExcludeAllAddressRequired",
        "ExcludeLocalAddressRequired", "ExcludeForeignAddressRequired", "Beta")),
    Param("NearNumber", "NearNumber", format="phone-number"),
    Param("NearLatLong", "NearLatLong"),
    Param("Distance", "Distance", type="integer"),
    *(Param(n, n, max_length=64) for n in (
        "InPostalCode", "InRegion", "InRateCenter", "InLata", "InLocality")),
    BOOLEAN_FILTERS["FaxEnabled"],
)  # fmt: skip
TEXT_FILTERS = {name: Param(name, name, max_length=64) for name in (
    "InRegion", "InPostalCode", "InLocality", "InLata", "InRateCenter")}  # fmt: skip


def _country(code: Optional[str], ctx: Context) -> numbering.Country:
    country = numbering.COUNTRIES.get(code or "")
    if country is None:
        raise ctx.not_found()
    return country


class AvailablePhoneNumberCountry(Resource):
    """The country list and one country."""

    name = "AvailablePhoneNumberCountry"
    schema = "api.v2010.account.available_phone_number_country"
    segments = ("AvailablePhoneNumbers",)
    key = "countries"
    item_param = "CountryCode"
    fields = ("country_code", "country", "uri", "beta", "subresource_uris")
    list_methods = frozenset({"GET"})
    instance_methods = frozenset({"GET"})

    @classmethod
    def valid_sid(cls, sid: str) -> bool:
        return sid in numbering.COUNTRIES

    def collection(self, ctx: Context, parent: Optional[str]) -> Collection:
        return Collection()

    def get(self, ctx: Context, parent: Optional[str], sid: Optional[str]) -> Record:
        return {"country_code": _country(sid, ctx).code, "account_sid": ctx.account.sid}

    def render(self, ctx: Context, record: Record) -> Dict[str, Any]:
        country = numbering.COUNTRIES[record["country_code"]]
        base = f"{self.base_path(record['account_sid'], None)}/{country.code}"
        return {
            "country_code": country.code,
            "country": country.name,
            "uri": wire.json_uri(base),
            "beta": False,
            "subresource_uris": {
                numbering.TYPES[kind]: wire.json_uri(f"{base}/{kind}") for kind in country.plans
            },
        }

    def list_body(
        self,
        ctx: Context,
        parent: Optional[str],
        query: Mapping[str, str],
        size: int,
        page: int,
        token: Optional[str],
    ) -> Optional[str]:
        """Every country served, in one answer (the spec's list has no paging fields)."""
        account = ctx.account.sid
        countries = [
            self.render(ctx, {"country_code": code, "account_sid": account})
            for code in numbering.COUNTRIES
        ]
        return encode({"countries": countries, "uri": ctx.path})


COUNTRY = AvailablePhoneNumberCountry()


class AvailablePhoneNumbers(Resource):
    """One number-type list of a country (``kind``: its path segment)."""

    parent = COUNTRY
    parent_param = "CountryCode"
    key = "available_phone_numbers"
    list_methods = frozenset({"GET"})
    list_filters = SPEC_FILTERS
    kind: str

    FIELDS: Tuple[str, ...] = (
        "friendly_name", "phone_number", "lata", "locality", "rate_center", "latitude",
        "longitude", "region", "postal_code", "iso_country", "address_requirements", "beta",
        "capabilities",
    )  # fmt: skip
    fields = FIELDS

    def filtered(self, ctx: Context, parent: Optional[str], values: Dict[str, Any]) -> Collection:
        """Unused: the search (``list_body``) reads the filters itself."""
        return self.collection(ctx, parent)

    def collection(self, ctx: Context, parent: Optional[str]) -> Collection:
        if self.kind not in _country(parent, ctx).plans:
            raise ctx.not_found()
        return Collection()

    def render(self, ctx: Context, record: Record) -> Dict[str, Any]:
        return {name: record[name] for name in self.FIELDS}

    def query(self, query: Mapping[str, str]) -> numbering.Query:
        """The search the request asks for (400/20001 naming a bad filter)."""
        q = numbering.Query()
        raw = query.get("AreaCode")
        if raw is not None:
            q.area_code = AREA_CODE.parse(raw)
        raw = query.get("Contains")
        if raw is not None:
            q.contains = numbering.parse_contains(raw)
        flags: Dict[str, Optional[bool]] = {}
        for name, param in BOOLEAN_FILTERS.items():
            value = query.get(name)
            flags[name] = None if value is None else param.parse(value)
        q.sms, q.mms = flags["SmsEnabled"], flags["MmsEnabled"]
        q.voice, q.fax = flags["VoiceEnabled"], flags["FaxEnabled"]
        q.exclude_all_address = bool(flags["ExcludeAllAddressRequired"])
        q.exclude_local_address = bool(flags["ExcludeLocalAddressRequired"])
        q.exclude_foreign_address = bool(flags["ExcludeForeignAddressRequired"])
        q.beta = flags["Beta"] is not False
        text = {name: query.get(name) for name in TEXT_FILTERS}
        for name, value in text.items():
            if value is not None:
                TEXT_FILTERS[name].parse(value)
        if text["InRateCenter"] is not None and text["InLata"] is None:
            raise errors.bad_request("InRateCenter requires InLata")
        q.in_region, q.in_postal_code = text["InRegion"], text["InPostalCode"]
        q.in_locality, q.in_lata = text["InLocality"], text["InLata"]
        q.in_rate_center = text["InRateCenter"]
        self._geography(query, q)
        return q

    def _geography(self, query: Mapping[str, str], q: numbering.Query) -> None:
        """``NearLatLong``, ``NearNumber`` and ``Distance`` into ``q`` (400/20001 naming a bad
        one; each is checked for its length before it is read)."""
        raw = query.get("Distance")
        if raw is not None:
            q.distance = DISTANCE.parse(raw)
        near = []
        raw = query.get("NearLatLong")
        if raw is not None:
            near.append(numbering.parse_lat_long(raw))
        raw = query.get("NearNumber")
        if raw is not None:
            number = NEAR_NUMBER.parse(raw)
            if not numbering.is_e164(number):
                raise errors.invalid_parameter(
                    "NearNumber", "must be a phone number in E.164 form (+14155550100)"
                )
            point = numbering.locate(number)
            if point is None:
                q.near_nowhere = True
            else:
                near.append(point)
        q.near = tuple(near)

    def list_body(
        self,
        ctx: Context,
        parent: Optional[str],
        query: Mapping[str, str],
        size: int,
        page: int,
        token: Optional[str],
    ) -> Optional[str]:
        if token is not None:
            raise errors.invalid_page_token()
        search = self.query(query)
        country = _country(parent, ctx)
        store = ctx.store
        found = numbering.search(
            numbering.salt_for(store.seed), country, self.kind, search, size,
            store.number_taken,
        )  # fmt: skip
        items_json = COMMA.join(encode(self.render(ctx, r)) for r in found)
        return wire.list_envelope(
            "available_phone_numbers", items_json, ctx.path, size, 0, None, found, False, False
        )


def _type_resource(kind: str) -> AvailablePhoneNumbers:
    cls = type(
        f"AvailablePhoneNumber{kind}",
        (AvailablePhoneNumbers,),
        {
            "name": f"AvailablePhoneNumber{kind}",
            "schema": "api.v2010.account.available_phone_number_country."
            f"available_phone_number_{numbering.TYPES[kind]}",
            "segments": (kind,),
            "kind": kind,
        },
    )
    resource: AvailablePhoneNumbers = cls()
    return resource


TYPE_LISTS: Tuple[AvailablePhoneNumbers, ...] = tuple(_type_resource(k) for k in numbering.TYPES)
