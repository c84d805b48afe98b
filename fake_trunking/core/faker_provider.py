"""A Faker provider for Twilio-shaped values, used by the fake and usable by your own tests.

    from faker import Faker
    from fake_trunking.core.faker_provider import TwilioProvider

    fake = Faker()
    fake.add_provider(TwilioProvider)
    fake.seed_instance(7)
    fake.twilio_sid("TK"), fake.trunk_domain_name(), fake.sip_url(), fake.e164_number()
    fake.available_phone_number("GB", "Mobile")  # {"phone_number": "+447...", ...}

Inside ``FakeTrunkingService(seed=N)`` the same provider is seeded from N, so every Faker value the
fake makes repeats exactly run to run.
"""

from __future__ import annotations

import re
from typing import Any, Dict, Optional, Tuple

from faker import Faker
from faker.providers import BaseProvider

_NOT_LABEL = re.compile(r"[^a-z0-9]+")

_TRUNK_KINDS = ("SIP trunk", "PBX trunk", "voice trunk", "carrier trunk", "contact center")
_CL_KINDS = ("SIP credentials", "PBX users", "agent credentials", "device logins")
_AL_KINDS = ("office IPs", "data center ACL", "SBC allowlist", "carrier IPs")


class TwilioProvider(BaseProvider):
    """Twilio-shaped fake data: SIDs, trunk names and domains, ``sip:`` URLs, E.164 numbers."""

    def twilio_sid(self, prefix: str = "TK") -> str:
        """``prefix`` + 32 lower-case hex digits, e.g. ``TK3f...``."""
        if len(prefix) != 2 or not prefix.isalpha() or not prefix.isupper():
            raise ValueError("a Twilio SID prefix is two upper-case letters, e.g. 'TK'")
        return f"{prefix}{self.generator.random.getrandbits(128):032x}"

    def account_sid(self) -> str:
        return self.twilio_sid("AC")

    def _pool(self, attribute: str, fallback: Tuple[str, ...]) -> Tuple[str, ...]:
        """The words of the locale's providers (``last_names``, ``word_list``...) as a tuple.

        Faker's own ``company()``/``words()`` draw from weighted tables (~100 us a value); a
        uniform draw from the same words keeps ``seed_trunks(count=100_000)`` to seconds.
        """
        cache: Dict[str, Tuple[str, ...]] = self.__dict__.setdefault("_pools", {})
        pool = cache.get(attribute)
        if pool is None:
            found: Tuple[str, ...] = ()
            for provider in self.generator.get_providers():
                values = getattr(provider, attribute, None)
                if values:
                    found = tuple(values)
                    break
            pool = cache[attribute] = found or fallback
        return pool

    def _slug(self) -> str:
        choice = self.generator.random.choice
        words = self._pool("word_list", ("acme", "voice", "edge", "core"))
        slug = f"{choice(words)}-{choice(words)}"
        return _NOT_LABEL.sub("-", slug.lower()).strip("-")[:40] or "trunk"

    def trunk_friendly_name(self) -> str:
        """A realistic trunk name of at most 64 characters, e.g. ``Baker-Lee voice trunk``."""
        choice = self.generator.random.choice
        names = self._pool("last_names", ("Acme", "Globex", "Initech", "Umbrella"))
        suffixes = self._pool("company_suffixes", ("Inc", "LLC", "Ltd", "Group"))
        shape = self.generator.random.randrange(3)
        if shape == 0:
            company = f"{choice(names)} {choice(suffixes)}"
        elif shape == 1:
            company = f"{choice(names)}-{choice(names)}"
        else:
            company = f"{choice(names)}, {choice(names)} and {choice(names)}"
        return f"{company} {choice(_TRUNK_KINDS)}"[:64]

    def trunk_domain_name(self) -> str:
        """A valid, very probably unique termination domain: ``<words>-<hex>.pstn.twilio.com``."""
        suffix = f"{self.generator.random.getrandbits(48):012x}"
        return f"{self._slug()}-{suffix}.pstn.twilio.com"

    def sip_url(self) -> str:
        """An origination ``sip:`` URL, e.g. ``sip:pbx@sip.example.com:5060``."""
        host = self.generator.domain_name()
        user = self.random_element(("pbx", "sbc", "trunk", "edge", "voice"))
        port = self.random_element(("", ":5060", ":5061"))
        return f"sip:{user}@{host}{port}"

    def e164_number(self, country: str = "US") -> str:
        """A North American E.164 number (``+1NPANXXXXXX``) with valid area and exchange codes."""
        if country != "US":
            raise ValueError("only US (+1) numbers are generated")
        rnd = self.generator.random
        npa = rnd.randint(2, 9) * 100 + rnd.randint(0, 8) * 10 + rnd.randint(0, 9)
        nxx = rnd.randint(2, 9) * 100 + rnd.randint(0, 9) * 10 + rnd.randint(0, 9)
        return f"+1{npa:03d}{nxx:03d}{rnd.randint(0, 9999):04d}"

    def number_friendly_name(self, e164: Optional[str] = None) -> str:
        """Twilio's friendly form of a number: ``(415) 867-5309`` for +1 numbers."""
        number = e164 or self.e164_number()
        if number.startswith("+1") and len(number) == 12:
            return f"({number[2:5]}) {number[5:8]}-{number[8:]}"
        return number

    def available_phone_number(self, country: str = "US", kind: str = "Local") -> Dict[str, Any]:
        """A number the fake would offer for sale, as AvailablePhoneNumbers shows it
        (``phone_number``, ``friendly_name``, ``locality``, ``region``, ``capabilities``...):
        ``country`` US, CA, GB or NL, ``kind`` a type it has (``Local``, ``TollFree``...)."""
        from . import numbering

        found = numbering.COUNTRIES.get(country)
        if found is None or kind not in found.plans:
            raise ValueError(f"no {kind} numbers in {country!r} (see numbering.COUNTRIES)")
        salt = f"faker:{self.generator.random.getrandbits(64)}"
        return numbering.search(salt, found, kind, numbering.Query(), 1, lambda _n: False)[0]

    def list_friendly_name(self, prefix: str = "CL") -> str:
        """A name for a credential list (``CL``) or IP access control list (``AL``)."""
        kinds = _CL_KINDS if prefix == "CL" else _AL_KINDS
        return f"{self.generator.city()} {self.random_element(kinds)}"[:64]


def make_faker(seed: Optional[int] = None) -> Faker:
    """An ``en_US`` Faker with ``TwilioProvider``; seeded when ``seed`` is given."""
    fake = Faker("en_US")
    fake.add_provider(TwilioProvider)
    if seed is not None:
        fake.seed_instance(seed)
    return fake
