"""Phone numbers for sale: numbering plans, the available-number generator and ``Contains``.

No HTTP here. The AvailablePhoneNumbers and IncomingPhoneNumbers resources (API v2010) and the
seeding API use this module; it owns the rules of what a number for sale is
(docs/decisions.md "Phone numbers"):

- A number is *for sale* when it is a number of a country and type the fake serves (its
  numbering plan, ``classify``) and no account of the store owns it (``Store.numbers``, an O(1)
  index of every owned number). The inventory is inexhaustible: any such number can be bought,
  once.
- What a number is (locality, region, postal code, LATA, rate center, latitude and longitude,
  capabilities, address requirements, beta) is a pure function of the number and the store's seed
  (``describe``), so a search result and the number it buys agree, run after run. Its
  coordinates are its locality's; what differs per number is drawn from one keyed hash of the
  salt and the number. What every number of a block shares is worked out once (``Plan``).
- Geography: ``NearLatLong``/``NearNumber`` keep the blocks whose locality is within
  ``Distance`` miles (great circle) of the point or of the number's locality (``locate``).
- A search (``search``) is a pure function of the seed, the query and what is owned: the same
  query in the same state answers the same numbers (a read never changes state, nor the SIDs and
  Faker values minted later). Without a seed the salt is random per process.
- ``Contains`` (2 to 16 characters: digits, letters as on a phone keypad, ``*`` one digit,
  ``%`` any run of digits, a leading ``+`` and a trailing ``$`` as anchors) is checked for its
  length first and matched by a table walk over the digits that never backtracks, so any input
  costs time linear in its length (a 1 MiB value is refused before it is read).
"""

from __future__ import annotations

import functools
import math
import random
import re
import secrets
from bisect import bisect
from dataclasses import dataclass
from hashlib import blake2b
from itertools import accumulate
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from . import errors
from .owned_numbers import ADDRESS_REQUIREMENTS

# -- the numbering plans ---------------------------------------------------------------------

# type segment (URL) -> subresource_uris key
TYPES: Dict[str, str] = {
    "Local": "local",
    "TollFree": "toll_free",
    "Mobile": "mobile",
    "National": "national",
    "Voip": "voip",
    "SharedCost": "shared_cost",
    "MachineToMachine": "machine_to_machine",
}
# type segment -> the IncomingPhoneNumber ``type`` of a number bought from it
NUMBER_TYPE: Dict[str, str] = {
    "Local": "local",
    "TollFree": "toll-free",
    "Mobile": "mobile",
    "National": "national",
    "Voip": "voip",
    "SharedCost": "shared-cost",
    "MachineToMachine": "machine-to-machine",
}


@dataclass(frozen=True)
class Place:
    """Where a block of numbers is: what AvailablePhoneNumbers shows for it."""

    locality: Optional[str] = None
    region: Optional[str] = None
    postal_codes: Tuple[str, ...] = ()
    lata: Optional[str] = None
    latitude: Optional[float] = None
    longitude: Optional[float] = None

    @functools.cached_property
    def rate_center(self) -> Optional[str]:
        if self.locality is None or self.region is None:
            return None
        return re.sub(r"[^A-Z]", "", self.locality.upper())[:10] or None


@dataclass(frozen=True)
class Block:
    """Numbers ``+<calling code><prefix><rest>``: ``rest`` has ``length`` digits, the first of
    them in ``first``."""

    prefix: str
    length: int
    first: str = "0123456789"
    place: Place = Place()

    def digits(self, calling_code: str) -> int:
        return len(calling_code) + len(self.prefix) + self.length


@dataclass(frozen=True)
class Country:
    code: str
    name: str
    calling_code: str
    plans: Mapping[str, Tuple[Block, ...]]  # type segment -> blocks
    nanp: bool = False  # North American Numbering Plan: AreaCode, lata, region, friendly form


_N = "23456789"  # a NANP exchange (NXX) starts with 2-9


def _us(npa: str, city: str, state: str, zips: str, lata: str, lat: float, lon: float) -> Block:
    return Block(npa, 7, _N, Place(city, state, tuple(zips.split()), lata, lat, lon))


def _ca(npa: str, city: str, prov: str, postal: str, lat: float, lon: float) -> Block:
    return Block(npa, 7, _N, Place(city, prov, tuple(postal.split(",")), None, lat, lon))


US_LOCAL: Tuple[Block, ...] = (
    _us("201", "Jersey City", "NJ", "07302 07306", "224", 40.7178, -74.0431),
    _us("202", "Washington", "DC", "20001 20005", "236", 38.9072, -77.0369),
    _us("206", "Seattle", "WA", "98101 98104", "674", 47.6062, -122.3321),
    _us("212", "New York", "NY", "10001 10007", "132", 40.7128, -74.0060),
    _us("213", "Los Angeles", "CA", "90012 90013", "730", 34.0522, -118.2437),
    _us("214", "Dallas", "TX", "75201 75202", "552", 32.7767, -96.7970),
    _us("215", "Philadelphia", "PA", "19102 19103", "228", 39.9526, -75.1652),
    _us("216", "Cleveland", "OH", "44114 44113", "320", 41.4993, -81.6944),
    _us("303", "Denver", "CO", "80202 80203", "656", 39.7392, -104.9903),
    _us("305", "Miami", "FL", "33130 33131", "460", 25.7617, -80.1918),
    _us("312", "Chicago", "IL", "60602 60603", "358", 41.8781, -87.6298),
    _us("313", "Detroit", "MI", "48226 48201", "340", 42.3314, -83.0458),
    _us("314", "St. Louis", "MO", "63101 63102", "520", 38.6270, -90.1994),
    _us("317", "Indianapolis", "IN", "46204 46225", "336", 39.7684, -86.1581),
    _us("404", "Atlanta", "GA", "30303 30308", "438", 33.7490, -84.3880),
    _us("408", "San Jose", "CA", "95113 95110", "722", 37.3382, -121.8863),
    _us("412", "Pittsburgh", "PA", "15222 15219", "234", 40.4406, -79.9959),
    _us("414", "Milwaukee", "WI", "53202 53203", "356", 43.0389, -87.9065),
    _us("415", "San Francisco", "CA", "94102 94103", "722", 37.7749, -122.4194),
    _us("503", "Portland", "OR", "97204 97205", "672", 45.5152, -122.6784),
    _us("504", "New Orleans", "LA", "70112 70130", "490", 29.9511, -90.0715),
    _us("505", "Albuquerque", "NM", "87102 87104", "664", 35.0844, -106.6504),
    _us("510", "Oakland", "CA", "94612 94607", "722", 37.8044, -122.2712),
    _us("512", "Austin", "TX", "78701 78702", "558", 30.2672, -97.7431),
    _us("602", "Phoenix", "AZ", "85004 85003", "666", 33.4484, -112.0740),
    _us("612", "Minneapolis", "MN", "55401 55402", "628", 44.9778, -93.2650),
    _us("614", "Columbus", "OH", "43215 43201", "324", 39.9612, -82.9988),
    _us("615", "Nashville", "TN", "37219 37203", "468", 36.1627, -86.7816),
    _us("617", "Boston", "MA", "02108 02110", "128", 42.3601, -71.0589),
    _us("619", "San Diego", "CA", "92101 92102", "732", 32.7157, -117.1611),
    _us("702", "Las Vegas", "NV", "89101 89102", "721", 36.1699, -115.1398),
    _us("704", "Charlotte", "NC", "28202 28203", "420", 35.2271, -80.8431),
    _us("713", "Houston", "TX", "77002 77003", "560", 29.7604, -95.3698),
    _us("801", "Salt Lake City", "UT", "84101 84111", "660", 40.7608, -111.8910),
    _us("808", "Hilo", "HI", "96720 96721", "834", 19.7200, -155.0900),
    _us("813", "Tampa", "FL", "33602 33603", "952", 27.9506, -82.4572),
    _us("816", "Kansas City", "MO", "64106 64105", "524", 39.0997, -94.5786),
    _us("904", "Jacksonville", "FL", "32202 32204", "452", 30.3322, -81.6557),
    _us("907", "Anchorage", "AK", "99501 99503", "832", 61.2181, -149.9003),
    _us("919", "Raleigh", "NC", "27601 27603", "426", 35.7796, -78.6382),
)
CA_LOCAL: Tuple[Block, ...] = (
    _ca("204", "Winnipeg", "MB", "R3C 0V8,R3B 1B9", 49.8951, -97.1384),
    _ca("306", "Regina", "SK", "S4P 3Y2,S4R 1H1", 50.4452, -104.6189),
    _ca("403", "Calgary", "AB", "T2P 1J9,T2G 0P6", 51.0447, -114.0719),
    _ca("416", "Toronto", "ON", "M5H 2N2,M5V 3L9", 43.6532, -79.3832),
    _ca("418", "Quebec", "QC", "G1R 4S9,G1K 3A9", 46.8139, -71.2080),
    _ca("514", "Montreal", "QC", "H2Y 1C6,H3B 4W8", 45.5017, -73.5673),
    _ca("604", "Vancouver", "BC", "V6B 1A1,V6C 3E8", 49.2827, -123.1207),
    _ca("613", "Ottawa", "ON", "K1P 1J1,K1R 7S8", 45.4215, -75.6972),
    _ca("780", "Edmonton", "AB", "T5J 0N3,T5K 2J1", 53.5461, -113.4938),
    _ca("902", "Halifax", "NS", "B3J 1S9,B3H 4R2", 44.6488, -63.5752),
)
NANP_TOLL_FREE = ("800", "833", "844", "855", "866", "877", "888")
US_TOLL_FREE: Tuple[Block, ...] = tuple(Block(npa, 7, _N) for npa in NANP_TOLL_FREE)


def _gb(prefix: str, length: int, first: str, city: str) -> Block:
    return Block(prefix, length, first, Place(city))


GB_LOCAL: Tuple[Block, ...] = (
    _gb("20", 8, "378", "London"),
    _gb("121", 7, "2345", "Birmingham"),
    _gb("131", 7, "2345", "Edinburgh"),
    _gb("141", 7, "2345", "Glasgow"),
    _gb("113", 7, "2345", "Leeds"),
    _gb("117", 7, "2349", "Bristol"),
    _gb("151", 7, "2345", "Liverpool"),
    _gb("161", 7, "2345", "Manchester"),
    _gb("29", 8, "2", "Cardiff"),
    _gb("28", 8, "9", "Belfast"),
)
COUNTRIES: Dict[str, Country] = {
    "US": Country(
        "US", "United States", "1", {"Local": US_LOCAL, "TollFree": US_TOLL_FREE}, nanp=True
    ),
    "CA": Country("CA", "Canada", "1", {"Local": CA_LOCAL, "TollFree": US_TOLL_FREE}, nanp=True),
    "GB": Country(
        "GB",
        "United Kingdom",
        "44",
        {
            "Local": GB_LOCAL,
            "Mobile": tuple(Block(p, 8, "0123456789") for p in ("74", "75", "77", "78", "79")),
            "TollFree": (Block("800", 7, "0123456789"), Block("808", 7, "1234567")),
            "National": tuple(Block(p, 7, "0123456789") for p in ("300", "330", "333", "345")),
            "SharedCost": tuple(Block(p, 7, "0123456789") for p in ("843", "844", "845")),
            "Voip": (Block("56", 8, "0123456789"),),
        },
    ),
    "NL": Country(
        "NL",
        "Netherlands",
        "31",
        {
            "Local": (
                Block("20", 7, "23456789", Place("Amsterdam")),
                Block("10", 7, "23456789", Place("Rotterdam")),
                Block("70", 7, "23456789", Place("The Hague")),
            ),
            "Mobile": (Block("6", 8, "12345"),),
            "TollFree": (Block("800", 7, "0123456789"),),
            "MachineToMachine": (Block("970", 8, "0123456789"),),
        },
    ),
}

# Capabilities and address requirements of a type, drawn per number: (voice, sms, mms, fax)
# probabilities, and address requirement weights (none, any, local, foreign).
_CAPS: Dict[Tuple[str, str], Tuple[float, float, float, float]] = {
    ("nanp", "Local"): (1.0, 0.95, 0.85, 0.3),
    ("nanp", "TollFree"): (1.0, 0.8, 0.0, 0.2),
    ("intl", "Local"): (1.0, 0.0, 0.0, 0.2),
    ("intl", "Mobile"): (1.0, 1.0, 0.0, 0.0),
    ("intl", "TollFree"): (1.0, 0.0, 0.0, 0.0),
    ("intl", "National"): (1.0, 0.0, 0.0, 0.0),
    ("intl", "SharedCost"): (1.0, 0.0, 0.0, 0.0),
    ("intl", "Voip"): (1.0, 0.5, 0.0, 0.0),
    ("intl", "MachineToMachine"): (0.5, 1.0, 0.0, 0.0),
}
_ADDRESS: Dict[str, Tuple[int, int, int, int]] = {
    "US": (90, 10, 0, 0),
    "CA": (80, 10, 10, 0),
    "GB": (20, 40, 38, 2),
    "NL": (10, 30, 58, 2),
}


def _nanp_exchange_ok(rest: str) -> bool:
    """A NANP subscriber part: the exchange is not N11 (service codes) nor 555 (directory and
    fictional numbers)."""
    nxx = rest[:3]
    return nxx[1:] != "11" and nxx != "555"


@dataclass(frozen=True)
class Found:
    """What ``classify`` knows of a number: its country, type and block."""

    country: Country
    type: str
    block: Block


def classify(number: str) -> Optional[Found]:
    """The country, type and block of an E.164 ``number`` the fake sells, else None.

    Every buy asks: the blocks are indexed once by ``calling code + prefix`` (``_block_index``),
    so a number is checked against the few blocks its leading digits can be in, in the order
    the countries and plans list them (the first that fits wins, as in a scan of them all)."""
    if not (2 <= len(number) <= 16 and number[0] == "+" and number[1:].isdigit()):
        return None
    digits = number[1:]
    index, lengths = _block_index()
    candidates: List[Tuple[int, Country, str, Block]] = []
    for length in lengths:
        candidates.extend(index.get(digits[:length], ()))
    candidates.sort(key=lambda c: c[0])
    for _order, country, kind, block in candidates:
        cc = country.calling_code
        if len(digits) != block.digits(cc):
            continue
        rest = digits[len(cc) + len(block.prefix) :]
        if rest[0] not in block.first:
            continue
        if country.nanp and not _nanp_exchange_ok(rest):
            continue
        if country.code == "CA" and kind == "TollFree":
            continue  # a NANP toll-free number is the US's (it is the same number)
        return Found(country, kind, block)
    return None


_BlockIndex = Tuple[Dict[str, List[Tuple[int, "Country", str, Block]]], Tuple[int, ...]]


@functools.lru_cache(maxsize=1)
def _block_index() -> _BlockIndex:
    """``calling code + prefix`` -> the blocks it starts (with their scan order), and the
    lengths such keys have."""
    index: Dict[str, List[Tuple[int, Country, str, Block]]] = {}
    order = 0
    for country in COUNTRIES.values():
        for kind, blocks in country.plans.items():
            for block in blocks:
                key = country.calling_code + block.prefix
                index.setdefault(key, []).append((order, country, kind, block))
                order += 1
    return index, tuple(sorted({len(k) for k in index}))


# -- what a number is --------------------------------------------------------------------------

_PROCESS_SALT = secrets.randbits(64)


@functools.lru_cache(maxsize=64)
def salt_for(seed: Optional[int]) -> str:
    """The salt of a store's inventory: its seed, or a random one per process."""
    return f"seed:{seed}" if seed is not None else f"salt:{_PROCESS_SALT}"


def friendly_name(country: Country, number: str) -> str:
    """Twilio's friendly form: ``(415) 867-5309`` for NANP numbers, the E.164 form otherwise."""
    if country.nanp and len(number) == 12:
        return f"({number[2:5]}) {number[5:8]}-{number[8:]}"
    return number


class Plan:
    """What every number of one block (of one country and type) shares, worked out once at
    import: the search's loop reads it instead of recomputing it per number (issue 15, speed).

    ``fixed`` holds the fields that are the same for every number of the block: its place (a
    number's coordinates are its locality's, as Twilio's are its rate center's), shown only
    for NANP local numbers but the locality and coordinates."""

    __slots__ = ("beta", "caps", "cum_address", "first", "fixed", "found", "head", "point",
                 "postal_codes", "rest", "show_postal", "total_address")  # fmt: skip

    def __init__(self, country: Country, kind: str, block: Block) -> None:
        self.found = Found(country, kind, block)
        self.head = country.calling_code + block.prefix
        self.first = block.first
        self.rest = block.length - 1  # digits after the first one of ``rest``
        self.caps = _CAPS[("nanp" if country.nanp else "intl", kind)]
        weights = _ADDRESS.get(country.code, (100, 0, 0, 0))
        if kind != "Local":
            weights = (weights[0] + weights[2], weights[1], 0, weights[3])
        self.cum_address = list(accumulate(weights))  # as ``random.choices`` accumulates them
        self.total_address = self.cum_address[-1] + 0.0
        self.beta = 0.3 if kind == "Voip" else 0.05
        place = block.place
        nanp_local = country.nanp and kind == "Local"
        self.postal_codes = place.postal_codes
        self.show_postal = nanp_local
        self.point: Optional[Tuple[float, float]] = None
        if place.latitude is not None and place.longitude is not None:
            self.point = (place.latitude, place.longitude)
        self.fixed = {
            "lata": place.lata if nanp_local else None,
            "locality": place.locality,
            "rate_center": place.rate_center if nanp_local else None,
            "latitude": place.latitude,
            "longitude": place.longitude,
            "region": place.region if nanp_local else None,
            "iso_country": country.code,
        }


_PLAN_LISTS: Dict[Tuple[str, str], Tuple[Plan, ...]] = {
    (country.code, kind): tuple(Plan(country, kind, block) for block in blocks)
    for country in COUNTRIES.values()
    for kind, blocks in country.plans.items()
}
_PLANS: Dict[Tuple[str, str, int], Plan] = {
    (code, kind, id(plan.found.block)): plan
    for (code, kind), listed in _PLAN_LISTS.items()
    for plan in listed
}


def plans(country: Country, kind: str) -> Tuple[Plan, ...]:
    """The plans of ``country``'s ``kind`` blocks, in the blocks' order."""
    listed = _PLAN_LISTS.get((country.code, kind))
    if listed is None or COUNTRIES.get(country.code) is not country:
        return tuple(Plan(country, kind, b) for b in country.plans.get(kind, ()))
    return listed


def _plan(found: Found) -> Plan:
    plan = _PLANS.get((found.country.code, found.type, id(found.block)))
    return plan if plan is not None else Plan(found.country, found.type, found.block)


def _below(rnd: random.Random, n: int) -> int:
    """``rnd.randrange(n)`` (and the index ``rnd.choice`` draws from ``n`` items), drawn the
    same way CPython draws it (``_randbelow_with_getrandbits``, the same on 3.9 to 3.13), so the
    numbers of a seed stay the same; inlined because the call chain costs more than the draw."""
    getrandbits = rnd.getrandbits
    k = n.bit_length()
    r = getrandbits(k)
    while r >= n:
        r = getrandbits(k)
    return r


def describe(salt: str, found: Found, number: str) -> Dict[str, Any]:
    """The AvailablePhoneNumber fields of ``number`` (a pure function of salt and number)."""
    return _describe(salt, _plan(found), number)


def _describe(salt: str, plan: Plan, number: str) -> Dict[str, Any]:
    # Seven draws from one keyed hash of the salt and the number (16 bits each: SMS, voice,
    # MMS, fax, the address requirement, beta; then the postal code's index). Seeding a
    # Mersenne Twister per number, as before, cost about 4.5 us of the 7 us a number took.
    bits = int.from_bytes(blake2b(f"{salt}|number|{number}".encode(), digest_size=16).digest(),
                          "big")  # fmt: skip
    voice, sms, mms, fax = plan.caps
    has_sms = (bits & 0xFFFF) < sms * 65536
    has_voice = (bits >> 16 & 0xFFFF) < voice * 65536
    caps = {
        "voice": has_voice,
        "sms": has_sms,
        "mms": has_sms and (bits >> 32 & 0xFFFF) < mms * 65536,
        "fax": (bits >> 48 & 0xFFFF) < fax * 65536,
    }
    if not (has_voice or has_sms or caps["fax"]):
        caps["voice"] = True
    cum = plan.cum_address
    address = ADDRESS_REQUIREMENTS[
        bisect(cum, (bits >> 64 & 0xFFFF) / 65536 * plan.total_address, 0, len(cum) - 1)
    ]
    beta = (bits >> 80 & 0xFFFF) < plan.beta * 65536
    codes = plan.postal_codes
    postal = codes[(bits >> 96) % len(codes)] if codes else None
    fixed = plan.fixed
    return {
        "friendly_name": friendly_name(plan.found.country, number),
        "phone_number": number,
        "lata": fixed["lata"],
        "locality": fixed["locality"],
        "rate_center": fixed["rate_center"],
        "latitude": fixed["latitude"],
        "longitude": fixed["longitude"],
        "region": fixed["region"],
        "postal_code": postal if plan.show_postal else None,
        "iso_country": fixed["iso_country"],
        "address_requirements": address,
        "beta": beta,
        "capabilities": caps,
    }


# -- Contains ----------------------------------------------------------------------------------

CONTAINS_MIN = 2
CONTAINS_MAX = 16
_KEYS = {"2": "abc", "3": "def", "4": "ghi", "5": "jkl", "6": "mno", "7": "pqrs", "8": "tuv",
         "9": "wxyz"}  # fmt: skip
_KEYPAD = {c: d for d, letters in _KEYS.items() for c in letters + letters.upper()}
_DIGITS = frozenset("0123456789")


@dataclass(frozen=True)
class Pattern:
    """A parsed ``Contains``: ``tokens`` are digits, ``*`` (one digit) and ``%`` (any run)."""

    tokens: str
    start: bool  # ``+``: anchored at the first digit of the E.164 number
    end: bool  # ``$``: anchored at its last digit

    def matches(self, digits: str) -> bool:
        """Whether the pattern occurs in ``digits`` (an E.164 number without ``+``).

        A set-of-states walk (a Thompson NFA over at most 16 tokens): each digit is read once,
        nothing backtracks, so the cost is ``len(digits) * len(tokens)`` at most.
        """
        tokens = self.tokens
        n = len(tokens)

        def close(states: set[int]) -> set[int]:
            out = set(states)
            for i in sorted(states):
                j = i
                while j < n and tokens[j] == "%":
                    j += 1
                    out.add(j)
            return out

        states = close({0})
        if n in states and not self.end:
            return True
        for digit in digits:
            nxt: set[int] = set()
            for i in states:
                if i < n:
                    t = tokens[i]
                    if t == "%":
                        nxt.add(i)  # one more digit in the run
                    elif t == "*" or t == digit:
                        nxt.add(i + 1)
            if not self.start:
                nxt.add(0)  # a new occurrence may start at the next digit
            states = close(nxt)
            if n in states and not self.end:
                return True
            if not states:
                return False
        return n in states


def parse_contains(raw: str) -> Pattern:
    """A ``Contains`` value as a ``Pattern`` or 400/20001 naming the rule it breaks.

    Length is checked first (constant time), then each character once.
    """
    if not CONTAINS_MIN <= len(raw) <= CONTAINS_MAX:
        raise errors.invalid_parameter(
            "Contains", f"must be {CONTAINS_MIN} to {CONTAINS_MAX} characters"
        )
    start = raw.startswith("+")
    end = raw.endswith("$")
    body = raw[1 if start else 0 : len(raw) - 1 if end else len(raw)]
    tokens: List[str] = []
    for ch in body:
        if ch in _DIGITS or ch in ("*", "%"):
            tokens.append(ch)
        elif ch in _KEYPAD:
            tokens.append(_KEYPAD[ch])
        else:
            raise errors.invalid_parameter(
                "Contains",
                "may hold only digits, letters, * and %, a leading + and a trailing $",
            )
    text = "".join(tokens)
    literals = sum(1 for t in text if t in _DIGITS)
    if literals < 2 and len(text) != literals:
        raise errors.invalid_parameter(
            "Contains", "with wildcards, must hold at least two digits or letters"
        )
    if not text or (start and text[0] in "*%") or (end and text[-1] in "*%"):
        raise errors.invalid_parameter("Contains", "+ and $ cannot be next to * or %")
    return Pattern(text, start, end)


# -- geography (NearLatLong, NearNumber, Distance) -----------------------------------------------

Point = Tuple[float, float]  # (latitude, longitude) in degrees
EARTH_RADIUS_MILES = 3958.8  # the mean radius
DISTANCE_DEFAULT = 25  # miles: the spec's default for a ``near_`` query
DISTANCE_MAX = 500  # the spec's "can be up to 500"
_LAT_LONG = re.compile(r"\s*([-+]?\d{1,3}(?:\.\d{1,12})?)\s*,\s*([-+]?\d{1,3}(?:\.\d{1,12})?)\s*")
LAT_LONG_MAX = 64  # characters of a ``NearLatLong`` value, checked before it is read


def miles_between(a: Point, b: Point) -> float:
    """The great-circle distance from ``a`` to ``b`` in miles (haversine, on a sphere)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_MILES * math.asin(min(1.0, math.sqrt(h)))


def parse_lat_long(raw: str) -> Point:
    """A ``NearLatLong`` value (``lat,long`` in decimal degrees) or 400/20001 naming it."""
    match = _LAT_LONG.fullmatch(raw) if len(raw) <= LAT_LONG_MAX else None
    if match is None:
        raise errors.invalid_parameter(
            "NearLatLong", "must be latitude,longitude in decimal degrees (37.77,-122.42)"
        )
    lat, lon = float(match.group(1)), float(match.group(2))
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        raise errors.invalid_parameter(
            "NearLatLong", "latitude must be -90 to 90 and longitude -180 to 180"
        )
    return lat, lon


_E164 = re.compile(r"\+[1-9][0-9]{1,14}")


def is_e164(number: str) -> bool:
    """E.164's shape as Twilio's phone-number parameters take it: ``+``, then up to 15 digits,
    the first not 0."""
    return len(number) <= 16 and _E164.fullmatch(number) is not None


def locate(number: str) -> Optional[Point]:
    """Where a number is: the coordinates of the locality of its block (a NANP number: its
    area code's row), whether or not it is for sale (``+12125550100``, a 555 number, is in New
    York). A number of no block with a place (toll-free, GB or NL, an area code the fake has
    no row for) has none, so nothing is near it."""
    if not is_e164(number):
        return None
    digits = number[1:]
    for plan in _PLANS.values():
        block = plan.found.block
        if (
            plan.point is not None
            and len(digits) == len(plan.head) + block.length
            and digits.startswith(plan.head)
        ):
            return plan.point
    return None


# -- the search ------------------------------------------------------------------------------


@dataclass
class Query:
    """A search of AvailablePhoneNumbers: every filter the fake applies."""

    area_code: Optional[int] = None
    contains: Optional[Pattern] = None
    sms: Optional[bool] = None
    mms: Optional[bool] = None
    voice: Optional[bool] = None
    fax: Optional[bool] = None
    exclude_all_address: bool = False
    exclude_local_address: bool = False
    exclude_foreign_address: bool = False
    beta: bool = True
    in_region: Optional[str] = None
    in_postal_code: Optional[str] = None
    in_locality: Optional[str] = None
    in_lata: Optional[str] = None
    in_rate_center: Optional[str] = None
    # ``NearLatLong`` and the place of ``NearNumber``: every result is within ``distance``
    # miles of each; ``near_nowhere``: a ``NearNumber`` with no known place (nothing is near it)
    near: Tuple[Point, ...] = ()
    near_nowhere: bool = False
    distance: int = DISTANCE_DEFAULT

    def key(self) -> str:
        c = self.contains
        pattern = None if c is None else (c.tokens, c.start, c.end)
        fields: Tuple[Any, ...] = (self.area_code, pattern, self.in_region, self.in_postal_code,
                                   self.in_locality, self.in_lata, self.in_rate_center)  # fmt: skip
        if self.near:  # (a query without geography keeps the key, and so the numbers, it had)
            fields += (self.near, self.distance)
        return repr(fields)

    def block_ok(self, country: Country, block: Block) -> bool:
        place = block.place
        if self.near_nowhere:
            return False
        if self.near:
            if place.latitude is None or place.longitude is None:
                return False
            here = (place.latitude, place.longitude)
            if any(miles_between(here, point) > self.distance for point in self.near):
                return False
        if self.area_code is not None and (not country.nanp or block.prefix != str(self.area_code)):
            return False
        if self.in_region is not None and place.region != self.in_region.upper():
            return False
        if self.in_postal_code is not None and self.in_postal_code not in place.postal_codes:
            return False
        if self.in_locality is not None and (place.locality or "").lower() != (
            self.in_locality.lower()
        ):
            return False
        if self.in_lata is not None and place.lata != self.in_lata:
            return False
        return self.in_rate_center is None or place.rate_center == self.in_rate_center.upper()

    def possible(self, country: Country, kind: str) -> bool:
        """False when no number of this type can have the capabilities asked for (a GB local
        number never takes SMS): the search then answers at once instead of drawing in vain."""
        odds = _CAPS[("nanp" if country.nanp else "intl", kind)]
        for wanted, p in zip((self.voice, self.sms, self.mms, self.fax), odds):
            if (wanted is True and p == 0.0) or (wanted is False and p == 1.0):
                return False
        return not (self.mms and odds[1] == 0.0)

    def number_ok(self, info: Mapping[str, Any]) -> bool:
        caps = info["capabilities"]
        for wanted, name in ((self.sms, "sms"), (self.mms, "mms"), (self.voice, "voice"),
                             (self.fax, "fax")):  # fmt: skip
            if wanted is not None and caps[name] != wanted:
                return False
        address = info["address_requirements"]
        if self.exclude_all_address and address != "none":
            return False
        if self.exclude_local_address and address == "local":
            return False
        if self.exclude_foreign_address and address == "foreign":
            return False
        if self.in_postal_code is not None and info["postal_code"] != self.in_postal_code:
            return False
        return self.beta or not info["beta"]


def _expand(pattern: Pattern, total: int, rnd: random.Random) -> Optional[str]:
    """The pattern with each ``%`` replaced by a random run of ``*``, so that it fits in a
    number of ``total`` digits (exactly, when it is anchored at both ends)."""
    tokens = pattern.tokens
    runs = tokens.count("%")
    fixed = len(tokens) - runs
    if fixed > total:
        return None
    spare = total - fixed
    if not runs:
        return tokens if not (pattern.start and pattern.end) or spare == 0 else None
    sizes = [0] * runs
    if pattern.start and pattern.end:
        for _ in range(spare):  # every spare digit goes into some run
            sizes[rnd.randrange(runs)] += 1
    else:
        for i in range(runs):
            sizes[i] = rnd.randint(0, min(spare, 4))
            spare -= sizes[i]
    it = iter(sizes)
    return "".join("*" * next(it) if t == "%" else t for t in tokens)


def _candidate(plan: Plan, pattern: Optional[Pattern], rnd: random.Random) -> Optional[str]:
    """One random number of ``plan``'s block that the pattern (if any) matches, or None."""
    head = plan.head
    first = len(head)
    if pattern is None:  # the common case, drawn as the general case below draws it
        getrandbits = rnd.getrandbits
        parts = [head, plan.first[_below(rnd, len(plan.first))]]
        for _ in range(plan.rest):  # ``_below(rnd, 10)``, inlined: the loop's hot spot
            r = getrandbits(4)
            while r >= 10:
                r = getrandbits(4)
            parts.append(_DIGIT_TEXT[r])
        digits = "".join(parts)
        if plan.found.country.nanp and not _nanp_exchange_ok(digits[first:]):
            return None
        return "+" + digits
    block = plan.found.block
    total = first + block.length
    slots: List[Optional[str]] = [*head, *([None] * block.length)]
    text = _expand(pattern, total, rnd)
    if text is None:
        return None
    width = len(text)
    if pattern.start:
        offsets: Sequence[int] = (0,)
    elif pattern.end:
        offsets = (total - width,)
    else:
        offsets = range(total - width + 1)
    fits = []
    for off in offsets:
        if off < 0:
            continue
        ok = True
        for k, t in enumerate(text):
            have = slots[off + k]
            if t != "*" and have is not None and have != t:
                ok = False
                break
            if t != "*" and off + k == first and t not in block.first:
                ok = False
                break
        if ok:
            fits.append(off)
    if not fits:
        return None
    off = fits[_below(rnd, len(fits))]
    for k, t in enumerate(text):
        if t != "*":
            slots[off + k] = t
    if slots[first] is None:
        slots[first] = block.first[_below(rnd, len(block.first))]
    digits = "".join(s if s is not None else _DIGIT_TEXT[_below(rnd, 10)] for s in slots)
    if plan.found.country.nanp and not _nanp_exchange_ok(digits[first:]):
        return None
    if not pattern.matches(digits):
        return None  # a ``%`` run drawn so that it no longer fits: try again
    return "+" + digits


_DIGIT_TEXT = "0123456789"


def search(
    salt: str,
    country: Country,
    kind: str,
    query: Query,
    size: int,
    owned: Callable[[str], bool],
) -> List[Dict[str, Any]]:
    """Up to ``size`` numbers of ``country``/``kind`` for sale that ``query`` selects.

    Deterministic for a salt, a query and what is owned; bounded work (``10 * size + 200``
    candidates at most), so an impossible query answers an empty (or short) list quickly.
    """
    chosen = [p for p in plans(country, kind) if query.block_ok(country, p.found.block)]
    if not chosen or not query.possible(country, kind):
        return []
    rnd = random.Random(f"{salt}|search|{country.code}|{kind}|{query.key()}")
    out: List[Dict[str, Any]] = []
    seen: set[str] = set()
    pattern = query.contains
    count = len(chosen)
    for _ in range(10 * size + 200):
        if len(out) >= size:
            break
        plan = chosen[_below(rnd, count)]
        number = _candidate(plan, pattern, rnd)
        if number is None or number in seen or owned(number):
            continue
        seen.add(number)
        info = _describe(salt, plan, number)
        if query.number_ok(info):
            out.append(info)
    return out


def valid_area_code(area_code: str) -> bool:
    """A NANP area code's shape: three digits, the first 2-9, not N11."""
    return (
        len(area_code) == 3 and area_code.isdigit() and area_code[0] in _N and area_code[1:] != "11"
    )


def pick(
    salt: str, area_code: str, owned: Callable[[str], bool], kinds: Sequence[str] = ("Local",)
) -> Optional[Tuple[Found, str]]:
    """A number for sale in NANP ``area_code`` (buying with ``AreaCode``), else None."""
    for code in ("US", "CA"):
        country = COUNTRIES[code]
        for kind in kinds:
            query = Query(area_code=int(area_code))
            for info in search(salt, country, kind, query, 1, owned):
                found = classify(info["phone_number"])
                if found is not None:
                    return found, info["phone_number"]
    return None


__all__ = [
    "COUNTRIES",
    "NUMBER_TYPE",
    "TYPES",
    "Country",
    "Found",
    "Pattern",
    "Plan",
    "Point",
    "Query",
    "classify",
    "describe",
    "friendly_name",
    "is_e164",
    "locate",
    "miles_between",
    "parse_contains",
    "parse_lat_long",
    "pick",
    "plans",
    "salt_for",
    "search",
    "valid_area_code",
]
