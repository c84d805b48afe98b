"""Declarative request parameters: one ``Param`` says a parameter's wire name, the field it fills,
its type, its rules, and how to parse it. Resource descriptions are built from these, and the same
objects drive validation, the spec-coverage test and documentation.

Parsing rules (DECISIONS.md): booleans ``true``/``false`` in any case; integers an optional sign and
digits; unknown parameters ignored; the first value of a repeated parameter wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any, Callable, Dict, Mapping, Optional, Sequence, Tuple

from . import errors, sipuri

_INT = re.compile(r"[+-]?[0-9]+\Z")
_HTTP_URL = re.compile(r"https?://[^\s/?#]+[^\s]*\Z", re.IGNORECASE)

Check = Callable[[Any], None]


@dataclass(frozen=True)
class Param:
    """One form parameter of a create or update operation."""

    name: str  # wire name, PascalCase (``FriendlyName``)
    field: str  # the response field it sets (``friendly_name``)
    type: str = "string"  # "string" | "boolean" | "integer"
    format: Optional[str] = None  # "uri" | "http-method" | "sip-url" | "sid" | None
    enum: Tuple[str, ...] = ()
    max_length: Optional[int] = None
    minimum: Optional[int] = None
    maximum: Optional[int] = None
    pattern: Optional[str] = None
    empty_is_null: bool = False  # ``Name=`` clears the field instead of storing ""
    fold_case: bool = False  # an enum taken in any case, stored in its (lower-case) spelling
    check: Optional[Check] = dc_field(default=None, compare=False)  # extra rule, raises TwilioError

    def parse(self, raw: str) -> Any:
        """The typed value of ``raw``, or a 400 TwilioError naming the parameter and the rule."""
        if self.type == "boolean":
            low = raw.lower()
            if low == "true":
                return True
            if low == "false":
                return False
            raise errors.invalid_parameter(self.name, "must be true or false")
        if self.type == "integer":
            if not _INT.match(raw):
                raise errors.invalid_parameter(self.name, "must be an integer")
            value = int(raw)
            if (self.minimum is not None and value < self.minimum) or (
                self.maximum is not None and value > self.maximum
            ):
                if self.maximum is None:
                    rule = f"must be an integer of at least {self.minimum}"
                else:
                    rule = f"must be an integer from {self.minimum} to {self.maximum}"
                raise errors.invalid_parameter(self.name, rule)
            return value
        if raw == "" and self.empty_is_null:
            return None
        if self.format == "http-method":
            raw = raw.upper()
        elif self.fold_case:
            raw = raw.lower()
        if self.enum and raw not in self.enum:
            raise errors.invalid_parameter(self.name, "must be one of " + ", ".join(self.enum))
        if self.max_length is not None and len(raw) > self.max_length:
            raise errors.invalid_parameter(
                self.name, f"must be at most {self.max_length} characters"
            )
        if self.pattern is not None and not re.fullmatch(self.pattern, raw):
            raise errors.invalid_parameter(self.name, f"must match {self.pattern}")
        if self.format == "uri" and not _HTTP_URL.match(raw):
            raise errors.invalid_parameter(self.name, "must be an absolute http or https URL")
        if self.format == "sip-url":
            wrong = sipuri.problem(raw)
            if wrong is not None:
                raise errors.invalid_parameter(self.name, f"{sipuri.RULE}: {wrong}")
        if self.check is not None:
            self.check(raw)
        return raw


def sid_param(name: str, field: str, prefix: str) -> Param:
    return Param(name, field, format="sid", pattern=f"^{prefix}[0-9a-fA-F]{{32}}$", max_length=34)


def parse_form(
    params: Sequence[Param], form: Mapping[str, str], required: Sequence[str] = ()
) -> Dict[str, Any]:
    """Validate ``form`` against ``params``; returns ``{field: value}`` for the parameters given.

    Parameters are checked in declaration order and the first failure is raised, so an invalid
    request changes nothing.
    """
    values: Dict[str, Any] = {}
    for p in params:
        raw = form.get(p.name)
        if raw is None:
            if p.name in required:
                raise errors.missing_parameter(p.name)
            continue
        values[p.field] = p.parse(raw)
    return values
