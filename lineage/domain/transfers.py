"""International transfers (GDPR Chapter V): is a hop inside the EEA, adequate, safeguarded, or
unapproved, and why.

Every hop outside the EEA needs its own mechanism, onward hops to sub-processors included (EDPB
Guidelines 05/2021; SCC clauses 8.7/8.8). Verdicts rest on the dated reference file
``lineage/reference/transfer_rules.yaml`` and on the mechanisms the catalog declares, and each
verdict says which, so a DPO can check it. Mechanisms that no longer hold count as none: the
Privacy Shield (struck down 16 Jul 2020), a lapsed DPF certification, an expired adequacy decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from lineage.errors import CatalogError

_ALIASES = {"EL": "GR", "UK": "GB"}


def country_code(code: str) -> str:
    """ISO 3166-1 alpha-2, accepting the EU's ``EL`` for Greece and ``UK`` for the United Kingdom."""
    upper = code.strip().upper()
    return _ALIASES.get(upper, upper)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AdequacyScope(StrEnum):
    FULL = "full"
    PARTIAL = "partial"  # only recipients meeting ``condition`` (Canada, Japan, Korea)
    DPF = "dpf"  # only organisations certified under the EU-US Data Privacy Framework


class Adequacy(_Strict):
    country: str
    name: str
    decision: str
    scope: AdequacyScope
    condition: str = ""
    adopted: date | None = None
    valid_until: date | None = None
    review_by: date | None = None

    def in_force(self, on: date) -> bool:
        return (self.adopted is None or self.adopted <= on) and \
            (self.valid_until is None or on <= self.valid_until)


class TransferRules(_Strict):
    as_of: date
    sources: dict[str, str]
    eu: tuple[str, ...]
    eu_territories: tuple[str, ...] = ()
    eea_efta: tuple[str, ...]
    adequacy: tuple[Adequacy, ...]

    def in_eea(self, code: str) -> bool:
        code = country_code(code)
        return code in self.eu or code in self.eu_territories or code in self.eea_efta

    def decision_for(self, code: str) -> Adequacy | None:
        return next((a for a in self.adequacy if a.country == country_code(code)), None)


def parse_transfer_rules(text: str, origin: str) -> TransferRules:
    try:
        return TransferRules.model_validate(yaml.safe_load(text))
    except (yaml.YAMLError, ValidationError) as exc:
        raise CatalogError(f"{origin}: invalid transfer rules: {exc}") from exc


class MechanismKind(StrEnum):
    """What a transfer relies on, as a catalog declares it."""

    ADEQUACY = "adequacy"  # Art. 45, for partial decisions: the recipient is within the scope
    DPF = "dpf"  # EU-US Data Privacy Framework certification of the recipient
    SCCS = "sccs"  # Art. 46(2)(c), Decision (EU) 2021/914
    BCRS = "bcrs"  # Art. 47 binding corporate rules
    ART49 = "art49"  # a derogation: a last resort, read narrowly
    PRIVACY_SHIELD = "privacy_shield"  # invalid since 16 Jul 2020; kept to be caught
    NONE = "none"


class Mechanism(_Strict):
    kind: MechanismKind
    module: int | None = Field(None, ge=1, le=4, description="SCC module (1-4).")
    certified_until: date | None = Field(None, description="End of the DPF certification.")
    derogation: str | None = Field(None, description="Which Art. 49(1) derogation.")
    reference: str = Field("", description="Where it is documented (DPA, policy section).")

    @model_validator(mode="after")
    def _complete(self) -> Mechanism:
        if self.kind == MechanismKind.SCCS and self.module is None:
            raise ValueError("SCCs need their module (1-4)")
        if self.kind == MechanismKind.ART49 and not self.derogation:
            raise ValueError("an Art. 49 mechanism must name its derogation")
        return self

    def describe(self) -> str:
        if self.kind == MechanismKind.SCCS:
            return f"SCCs module {self.module}"
        if self.kind == MechanismKind.ART49:
            return f"Art. 49 derogation ({self.derogation})"
        return self.kind.value


class HopStatus(StrEnum):
    INSIDE_EEA = "inside_eea"
    ADEQUATE = "adequate"
    SAFEGUARDED = "safeguarded"
    UNAPPROVED = "unapproved"


@dataclass(frozen=True)
class HopVerdict:
    status: HopStatus
    reason: str
    mechanism: str | None = None

    @property
    def approved(self) -> bool:
        return self.status != HopStatus.UNAPPROVED


def classify_hop(destination: str, mechanism: Mechanism | None, rules: TransferRules,
                 on: date) -> HopVerdict:
    """Verdict on personal data reaching ``destination`` (a country) under ``mechanism``."""
    code = country_code(destination)
    if rules.in_eea(code):
        return HopVerdict(HopStatus.INSIDE_EEA, f"{code} is in the EEA")
    kind = mechanism.kind if mechanism else MechanismKind.NONE
    if kind == MechanismKind.PRIVACY_SHIELD:
        return HopVerdict(HopStatus.UNAPPROVED, f"to {code} under the EU-US Privacy Shield, "
                          f"invalid since 16 Jul 2020 ({rules.sources.get('privacy_shield', '')})")
    decision = rules.decision_for(code)
    adequate = _adequacy_verdict(code, decision, mechanism, on)
    if adequate is not None:
        return adequate
    return _safeguard_verdict(code, decision, mechanism, on)


def _adequacy_verdict(code: str, decision: Adequacy | None, mechanism: Mechanism | None,
                      on: date) -> HopVerdict | None:
    if decision is None or not decision.in_force(on):
        return None
    cites = f"adequacy decision {decision.decision}"
    if decision.scope == AdequacyScope.FULL:
        return HopVerdict(HopStatus.ADEQUATE, f"{code}: {cites}", "adequacy")
    if mechanism is None:
        return None
    if decision.scope == AdequacyScope.DPF and mechanism.kind == MechanismKind.DPF:
        if mechanism.certified_until is None or on <= mechanism.certified_until:
            return HopVerdict(HopStatus.ADEQUATE, f"{code}: recipient DPF-certified, {cites}", "dpf")
        return None
    if decision.scope == AdequacyScope.PARTIAL and mechanism.kind == MechanismKind.ADEQUACY:
        return HopVerdict(HopStatus.ADEQUATE, f"{code}: {cites}, recipient declared within its "
                          f"scope ({decision.condition})", "adequacy")
    return None


def _safeguard_verdict(code: str, decision: Adequacy | None, mechanism: Mechanism | None,
                       on: date) -> HopVerdict:
    kind = mechanism.kind if mechanism else MechanismKind.NONE
    if mechanism is not None and kind in (MechanismKind.SCCS, MechanismKind.BCRS, MechanismKind.ART49):
        why = {MechanismKind.SCCS: "Art. 46(2)(c), Decision (EU) 2021/914; needs a transfer "
                                   "impact assessment",
               MechanismKind.BCRS: "Art. 47 binding corporate rules; needs a transfer impact "
                                   "assessment",
               MechanismKind.ART49: "Art. 49 derogation: a last resort, for occasional transfers"}
        return HopVerdict(HopStatus.SAFEGUARDED, f"to {code} under {mechanism.describe()}: "
                          f"{why[kind]}", mechanism.describe())
    if kind == MechanismKind.DPF:
        if code != "US":
            return HopVerdict(HopStatus.UNAPPROVED, f"to {code}: the DPF covers US recipients only")
        return HopVerdict(HopStatus.UNAPPROVED, f"to {code}: DPF certification lapsed on "
                          f"{mechanism.certified_until}" if mechanism else f"to {code}: no DPF")
    if kind == MechanismKind.ADEQUACY:
        state = "expired" if decision is not None else "none exists"
        return HopVerdict(HopStatus.UNAPPROVED, f"to {code}: adequacy relied on, but {state}")
    if decision is not None and decision.scope != AdequacyScope.FULL and decision.in_force(on):
        return HopVerdict(HopStatus.UNAPPROVED, f"to {code}: the adequacy decision covers only "
                          f"{decision.condition or decision.scope.value}, and no mechanism is declared")
    return HopVerdict(HopStatus.UNAPPROVED, f"to {code}: no transfer mechanism")
