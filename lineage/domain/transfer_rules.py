"""The reference data transfer verdicts rest on: EEA membership and the adequacy decisions.

Loaded from ``lineage/reference/transfer_rules.yaml``, which cites every decision. A decision is
in force only between dates the file states: a missing adoption date is refused when the file is
loaded, because reading it as "always in force" would make a transfer judged on a past date
adequate before the decision existed. Legal dates are calendar days in Brussels, where the
Commission adopts decisions and the Court of Justice (Luxembourg, same offset) gives judgments.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError, model_validator

from lineage.errors import CatalogError

_ALIASES = {"EL": "GR", "UK": "GB"}
LEGAL_ZONE = ZoneInfo("Europe/Brussels")


def country_code(code: str) -> str:
    """ISO 3166-1 alpha-2, accepting the EU's ``EL`` for Greece and ``UK`` for the United Kingdom."""
    upper = code.strip().upper()
    return _ALIASES.get(upper, upper)


def organisation_code(code: str) -> str:
    """An international organisation's short id (``EPO``): three or more characters, so it can
    never be mistaken for an ISO country code."""
    upper = code.strip().upper()
    if not re.fullmatch(r"[A-Z][A-Z0-9_-]{2,31}", upper, re.ASCII):
        raise ValueError(
            f"international organisation id {code!r} must be 3-32 letters, digits, '-' or '_' (e.g. EPO)"
        )
    return upper


OrganisationCode = Annotated[str, AfterValidator(organisation_code)]


def legal_day(on: date | datetime) -> date:
    """The day a moment falls on in Brussels, where the decisions' dates are.

    A naive datetime is refused: 23:30 on the eve of a decision is adequate or not depending on
    the offset, and guessing it would move the verdict by a day.
    """
    if not isinstance(on, datetime):
        return on
    if on.tzinfo is None or on.utcoffset() is None:
        raise ValueError("a transfer moment needs a time zone offset")
    return on.astimezone(LEGAL_ZONE).date()


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AdequacyScope(StrEnum):
    FULL = "full"
    PARTIAL = "partial"  # only recipients within the decision's scope (Canada, Japan, Korea, Israel)
    CERTIFIED = "certified"  # only US organisations certified under ``framework``


class Framework(StrEnum):
    """US self-certification frameworks, each resting on its own adequacy decision."""

    SAFE_HARBOUR = "safe_harbour"
    PRIVACY_SHIELD = "privacy_shield"
    DPF = "dpf"

    @property
    def full_name(self) -> str:
        return {
            "safe_harbour": "the Safe Harbour principles",
            "privacy_shield": "the EU-US Privacy Shield",
            "dpf": "the EU-US Data Privacy Framework",
        }[self.value]


class Sector(StrEnum):
    """Where a recipient stands for a partial adequacy decision's scope.

    A vendor company acting in the course of its business is ``commercial``, the presumption
    for every processor; the catalog says when a recipient is something else.
    """

    COMMERCIAL = "commercial"
    NON_COMMERCIAL = "non_commercial"  # non-profit activities (PIPEDA covers commercial ones only)
    PUBLIC = "public"  # public authorities and bodies
    PRESS = "press"  # journalism (APPI Art. 76(1), PIPA Art. 58(1)(4))
    ACADEMIC = "academic"  # academic studies (APPI Art. 76(1))
    RELIGIOUS = "religious"
    POLITICAL = "political"
    CREDIT = "credit"  # credit information of FSC-supervised institutions (Korea)


class Adequacy(_Strict):
    """One Commission decision (GDPR Art. 45) for a country or an international organisation."""

    country: str | None = None
    organisation: OrganisationCode | None = None
    name: str
    decision: str
    oj: str = ""
    adopted: date
    applies_from: date | None = None
    valid_until: date | None = None
    ended: date | None = None
    ended_by: str = ""
    scope: AdequacyScope
    framework: Framework | None = None
    outside_scope: tuple[Sector, ...] = ()
    automated_only: bool = False
    condition: str = ""
    review_by: date | None = None
    unverified: str = ""  # what of this entry public sources did not confirm: shown with verdicts

    @model_validator(mode="after")
    def _consistent(self) -> Adequacy:
        if (self.country is None) == (self.organisation is None):
            raise ValueError(f"{self.name}: name exactly one of country or organisation")
        if (self.scope == AdequacyScope.CERTIFIED) != (self.framework is not None):
            raise ValueError(f"{self.name}: a certified scope names its framework, and only it")
        if self.ended is not None and not self.ended_by:
            raise ValueError(f"{self.name}: say what ended the decision (ended_by)")
        return self

    @property
    def destination(self) -> str:
        return self.organisation or self.country or ""

    @property
    def cited(self) -> str:
        """The decision as verdicts cite it, saying what of it is not verified."""
        return f"{self.decision} [unverified: {self.unverified}]" if self.unverified else self.decision

    @property
    def starts(self) -> date:
        """First day in force: the adoption, or a later start the decision sets."""
        return self.applies_from or self.adopted

    def in_force(self, on: date) -> bool:
        """``valid_until`` is the last day in force (a sunset clause); ``ended`` the first day
        no longer in force (a judgment annuls with effect on the day it is delivered)."""
        return (
            self.starts <= on
            and (self.valid_until is None or on <= self.valid_until)
            and (self.ended is None or on < self.ended)
        )

    def not_in_force_why(self, on: date) -> str:
        """Why the decision does not apply on ``on``: the dates a DPO will check."""
        if on < self.starts:
            return f"decision {self.cited} applies from {self.starts:%d %b %Y}, not yet on {on}"
        if self.ended is not None and on >= self.ended:
            return f"decision {self.cited} invalid since {self.ended:%d %b %Y} ({self.ended_by})"
        return f"decision {self.cited} expired after {self.valid_until:%d %b %Y}"


CURRENT_SCCS = "2021/914"
"""The standard contractual clauses in use since 27 Jun 2021; a catalog naming no decision means
these."""


class SccDecision(_Strict):
    """One Commission decision adopting standard contractual clauses (GDPR Art. 46(2)(c), or
    Directive 95/46/EC Art. 26(4) before it), with the relationships its clauses are for.

    ``concluded_before``: a contract on these clauses is valid only if signed before this day
    (the day the decision was repealed); ``ended``: the first day even such a contract no longer
    covers a transfer (the end of the transition period the repealing decision allowed).
    """

    id: str
    decision: str
    oj: str = ""
    adopted: date
    applies_from: date | None = None
    modules: tuple[int, ...]
    relationship: str
    concluded_before: date | None = None
    ended: date | None = None
    ended_by: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> SccDecision:
        if (self.concluded_before is not None or self.ended is not None) and not self.ended_by:
            raise ValueError(f"{self.id}: say what repealed the clauses (ended_by)")
        if not self.modules or any(m not in (1, 2, 3, 4) for m in self.modules):
            raise ValueError(f"{self.id}: modules are among 1-4 (the relationships of 2021/914)")
        return self

    @property
    def starts(self) -> date:
        """First day contracts on these clauses can exist: the decision's entry into force."""
        return self.applies_from or self.adopted


class TransferRules(_Strict):
    as_of: date
    sources: dict[str, str]
    eu: tuple[str, ...]
    eu_territories: tuple[str, ...] = ()
    eea_efta: tuple[str, ...]
    adequacy: tuple[Adequacy, ...]
    scc_decisions: tuple[SccDecision, ...] = ()

    def scc_decision(self, decision_id: str | None) -> SccDecision | None:
        """The SCC decision a catalog names (``2010/87/EU``), the current one when None."""
        wanted = decision_id or CURRENT_SCCS
        return next((d for d in self.scc_decisions if d.id == wanted), None)

    def in_eea(self, code: str) -> bool:
        code = country_code(code)
        return code in self.eu or code in self.eu_territories or code in self.eea_efta

    def decisions_for(self, destination: str) -> list[Adequacy]:
        """Every decision ever taken for a country (ISO code) or an organisation (its id)."""
        code = country_code(destination)
        return [a for a in self.adequacy if a.destination == code]

    def decision_for(self, destination: str, on: date | None = None) -> Adequacy | None:
        """The general (non-framework) decision in force on ``on``; without a date, the latest."""
        general = [a for a in self.decisions_for(destination) if a.framework is None]
        if on is None:
            return max(general, key=lambda a: a.adopted, default=None)
        return next((a for a in general if a.in_force(on)), None)

    def framework_decision(self, framework: Framework) -> Adequacy | None:
        return next((a for a in self.adequacy if a.framework == framework), None)


def parse_transfer_rules(text: str, origin: str) -> TransferRules:
    """Validate the reference file; every problem is named with the entry it is in."""
    try:
        return TransferRules.model_validate(yaml.safe_load(text))
    except (yaml.YAMLError, ValidationError) as exc:
        raise CatalogError(f"{origin}: invalid transfer rules: {exc}") from exc
