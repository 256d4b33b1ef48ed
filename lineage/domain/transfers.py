"""International transfers (GDPR Chapter V): is a hop inside the EEA, adequate, safeguarded,
covered by a derogation, or unapproved, and why.

Every hop outside the EEA needs its own mechanism, onward hops to sub-processors included (EDPB
Guidelines 05/2021; SCC clauses 8.7/8.8). Verdicts rest on the dated reference file
``lineage/reference/transfer_rules.yaml`` (see ``transfer_rules``) and on the mechanisms the
catalog declares, and each verdict says which, so a DPO can check it. A decision counts only
between its dates: the Privacy Shield is adequate for a transfer judged on 15 Jul 2020 and not
on 16 Jul 2020 (Schrems II); a lapsed DPF certification or an expired decision counts as none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from lineage.domain.transfer_rules import (
    CURRENT_SCCS,
    Adequacy,
    AdequacyScope,
    Framework,
    SccDecision,
    Sector,
    TransferRules,
    country_code,
    legal_day,
    parse_transfer_rules,
)

__all__ = [
    "Adequacy",
    "AdequacyScope",
    "Art49Derogation",
    "HopStatus",
    "HopVerdict",
    "Mechanism",
    "MechanismKind",
    "Recipient",
    "RecipientRole",
    "Sector",
    "TransferRules",
    "classify_hop",
    "country_code",
    "expected_scc_module",
    "judge_hop",
    "parse_transfer_rules",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MechanismKind(StrEnum):
    """What a transfer relies on, as a catalog declares it."""

    ADEQUACY = "adequacy"  # Art. 45, relied on explicitly (a partial decision's scope)
    DPF = "dpf"  # EU-US Data Privacy Framework certification of the recipient
    SCCS = "sccs"  # Art. 46(2)(c), Decision (EU) 2021/914
    BCRS = "bcrs"  # Art. 47 binding corporate rules
    ART49 = "art49"  # a derogation: a last resort, read narrowly
    PRIVACY_SHIELD = "privacy_shield"  # adequate 1 Aug 2016 to 15 Jul 2020 only
    SAFE_HARBOUR = "safe_harbour"  # adequate until 5 Oct 2015 only
    NONE = "none"


_FRAMEWORKS = {
    MechanismKind.DPF: Framework.DPF,
    MechanismKind.PRIVACY_SHIELD: Framework.PRIVACY_SHIELD,
    MechanismKind.SAFE_HARBOUR: Framework.SAFE_HARBOUR,
}


class Art49Derogation(StrEnum):
    """The closed list of GDPR Art. 49(1): nothing else is a derogation."""

    EXPLICIT_CONSENT = "explicit_consent"  # (a)
    CONTRACT_WITH_SUBJECT = "contract_with_subject"  # (b)
    CONTRACT_IN_SUBJECT_INTEREST = "contract_in_subject_interest"  # (c)
    PUBLIC_INTEREST = "public_interest"  # (d) important reasons of public interest
    LEGAL_CLAIMS = "legal_claims"  # (e)
    VITAL_INTERESTS = "vital_interests"  # (f)
    PUBLIC_REGISTER = "public_register"  # (g)
    COMPELLING_LEGITIMATE_INTERESTS = "compelling_legitimate_interests"  # second subparagraph

    @property
    def article(self) -> str:
        letters = dict(zip(Art49Derogation, "abcdefg", strict=False))
        letter = letters.get(self)
        return f"Art. 49(1)({letter})" if letter else "Art. 49(1) second subparagraph"


_DEROGATION_ALIASES = {
    **{f"49(1)({c})": d for c, d in zip("abcdefg", Art49Derogation, strict=False)},
    "49(1)_second_subparagraph": Art49Derogation.COMPELLING_LEGITIMATE_INTERESTS,
}


def _derogation(value: object) -> object:
    """Accept ``explicit consent``, ``Explicit-Consent`` and ``49(1)(a)``; anything else fails."""
    if not isinstance(value, str):
        return value
    key = value.strip().lower().replace(" ", "_").replace("-", "_").removeprefix("art._")
    return _DEROGATION_ALIASES.get(key, key)


class RecipientRole(StrEnum):
    """Who receives: a processor acting on instructions, or a controller for its own purposes."""

    PROCESSOR = "processor"
    CONTROLLER = "controller"


def expected_scc_module(role: RecipientRole, onward: bool) -> int:
    """Decision (EU) 2021/914: module 1 C->C, 2 C->P, 3 P->P, 4 P->C. The exporter of a first
    hop is the organisation (a controller); of an onward hop, the processor passing data on."""
    if onward:
        return 3 if role == RecipientRole.PROCESSOR else 4
    return 2 if role == RecipientRole.PROCESSOR else 1


_MODULES = {
    1: "controller to controller",
    2: "controller to processor",
    3: "processor to processor",
    4: "processor to controller",
}


# The SCC decisions a catalog may name, with the spellings a DPA uses for them. The 2001 set I
# (controller to controller) and the 2004 set II amending it are separate choices of clauses.
SCC_DECISIONS = {
    "2021/914": CURRENT_SCCS,
    "(eu)2021/914": CURRENT_SCCS,
    "2010/87/eu": "2010/87/EU",
    "2010/87": "2010/87/EU",
    "2001/497/ec": "2001/497/EC",
    "2001/497": "2001/497/EC",
    "2004/915/ec": "2004/915/EC",
    "2004/915": "2004/915/EC",
}


def _scc_decision(value: object) -> object:
    """Accept ``2010/87/EU``, ``2010/87`` and ``(EU) 2021/914``; anything else fails, naming
    what is accepted."""
    if not isinstance(value, str):
        return value
    key = value.strip().lower().replace(" ", "").removeprefix("decision")
    if key not in SCC_DECISIONS:
        raise ValueError(
            f"unknown SCC decision {value!r}: one of 2021/914, 2010/87/EU "
            "(controller to processor), 2001/497/EC or 2004/915/EC (controller to "
            "controller)"
        )
    return SCC_DECISIONS[key]


class Mechanism(_Strict):
    kind: MechanismKind
    module: int | None = Field(None, ge=1, le=4, description="SCC module (1-4).")
    decision: Annotated[str | None, BeforeValidator(_scc_decision)] = Field(
        None,
        description="The SCC decision the contract rests on: 2021/914 (default), or one it "
        "repealed (2010/87/EU, 2001/497/EC, 2004/915/EC).",
    )
    signed: date | None = Field(
        None,
        description="When the SCCs were concluded: decides which decision they can rest on, and until when.",
    )
    certified_until: date | None = Field(
        None, description="End of the DPF (or Privacy Shield) certification."
    )
    derogation: Annotated[Art49Derogation | None, BeforeValidator(_derogation)] = Field(
        None, description="Which Art. 49(1) derogation: " + ", ".join(d.value for d in Art49Derogation)
    )
    reference: str = Field("", description="Where it is documented (DPA, policy section).")

    @model_validator(mode="after")
    def _complete(self) -> Mechanism:
        old = self.decision not in (None, CURRENT_SCCS)
        if self.kind == MechanismKind.SCCS and self.module is None and not old:
            raise ValueError("SCCs need their module (1-4)")
        if self.kind != MechanismKind.SCCS and (self.decision or self.signed):
            raise ValueError("decision and signed are for SCCs (kind: sccs)")
        if old and self.signed is None:
            raise ValueError(
                f"SCCs under {self.decision} need the date they were signed (signed): "
                "only contracts concluded before its repeal stayed valid, for a time"
            )
        if self.kind == MechanismKind.ART49 and not self.derogation:
            raise ValueError("an Art. 49 mechanism must name its derogation")
        return self

    def describe(self) -> str:
        if self.kind == MechanismKind.SCCS and self.decision not in (None, CURRENT_SCCS):
            return f"SCCs of {self.decision}" + (f" module {self.module}" if self.module else "")
        if self.kind == MechanismKind.SCCS:
            return f"SCCs module {self.module}"
        if self.kind == MechanismKind.ART49 and self.derogation:
            return f"{self.derogation.article} derogation ({self.derogation.value})"
        return self.kind.value


@dataclass(frozen=True)
class Recipient:
    """Who a hop reaches, as far as the law cares: where, what, and in which relationship.

    ``organisation`` is an international organisation (Art. 4(26)): a transfer even when its
    seat ``country`` is in the EEA. ``onward`` marks a processor passing data to its own
    sub-processor. ``sector`` and ``automated`` place it inside or outside a partial decision.
    """

    country: str
    organisation: str | None = None
    role: RecipientRole = RecipientRole.PROCESSOR
    onward: bool = False
    sector: Sector = Sector.COMMERCIAL
    automated: bool = True

    @property
    def destination(self) -> str:
        return self.organisation or country_code(self.country)


class HopStatus(StrEnum):
    INSIDE_EEA = "inside_eea"
    ADEQUATE = "adequate"
    SAFEGUARDED = "safeguarded"
    DEROGATION = "derogation"  # Art. 49: allowed for an occasional transfer, not a safeguard
    SCC_MODULE_MISMATCH = "scc_module_mismatch"  # SCCs signed, but not for this relationship
    UNAPPROVED = "unapproved"

    @property
    def approved(self) -> bool:
        """Whether data may go: a derogation may (occasionally), a module mismatch may not."""
        return self in _APPROVED


_APPROVED = frozenset({HopStatus.INSIDE_EEA, HopStatus.ADEQUATE, HopStatus.SAFEGUARDED, HopStatus.DEROGATION})


@dataclass(frozen=True)
class HopVerdict:
    status: HopStatus
    reason: str
    mechanism: str | None = None

    @property
    def approved(self) -> bool:
        return self.status.approved


def classify_hop(
    destination: str, mechanism: Mechanism | None, rules: TransferRules, on: date | datetime
) -> HopVerdict:
    """Verdict on data reaching a processor in the ``destination`` country (a first hop)."""
    return judge_hop(Recipient(destination), mechanism, rules, on)


def judge_hop(
    recipient: Recipient, mechanism: Mechanism | None, rules: TransferRules, on: date | datetime
) -> HopVerdict:
    """Verdict on personal data reaching ``recipient`` under ``mechanism`` on day ``on``.

    A datetime is judged on its day in Brussels (``legal_day``), whatever its offset.
    """
    day = legal_day(on)
    to = recipient.destination
    if recipient.organisation is None and rules.in_eea(to):
        return HopVerdict(HopStatus.INSIDE_EEA, f"{to} is in the EEA")
    kind = mechanism.kind if mechanism else MechanismKind.NONE
    decision = rules.decision_for(to, day)
    if decision is not None and _within_scope(decision, recipient):
        return _adequate(to, decision, recipient)
    if mechanism is not None and kind in _FRAMEWORKS:
        return _framework_verdict(to, mechanism, _FRAMEWORKS[kind], rules, day)
    if mechanism is not None and kind in (MechanismKind.SCCS, MechanismKind.BCRS, MechanismKind.ART49):
        return _safeguard_verdict(to, mechanism, recipient, rules, day)
    return _no_mechanism_verdict(to, kind, decision, recipient, rules, day)


def _within_scope(decision: Adequacy, recipient: Recipient) -> bool:
    if decision.scope == AdequacyScope.FULL:
        return True
    return recipient.sector not in decision.outside_scope and (
        recipient.automated or not decision.automated_only
    )


def _adequate(to: str, decision: Adequacy, recipient: Recipient) -> HopVerdict:
    cites = f"{to}: adequacy decision {decision.cited}"
    if decision.scope == AdequacyScope.FULL:
        return HopVerdict(HopStatus.ADEQUATE, cites, "adequacy")
    return HopVerdict(
        HopStatus.ADEQUATE,
        f"{cites}, recipient within its scope as a "
        f"{recipient.sector.value} organisation ({decision.condition})",
        "adequacy",
    )


def _framework_verdict(
    to: str, mechanism: Mechanism, framework: Framework, rules: TransferRules, on: date
) -> HopVerdict:
    """DPF, Privacy Shield, Safe Harbour: adequate while the decision is in force on ``on``
    and the recipient's certification has not lapsed."""
    decision = rules.framework_decision(framework)
    if decision is None or to != decision.destination:
        return HopVerdict(HopStatus.UNAPPROVED, f"to {to}: {framework.full_name} covers US recipients only")
    if not decision.in_force(on):
        return HopVerdict(
            HopStatus.UNAPPROVED, f"to {to} under {framework.full_name}: {decision.not_in_force_why(on)}"
        )
    if mechanism.certified_until is not None and on > mechanism.certified_until:
        return HopVerdict(
            HopStatus.UNAPPROVED,
            f"to {to}: certification under {framework.full_name} lapsed on {mechanism.certified_until}",
        )
    return HopVerdict(
        HopStatus.ADEQUATE,
        f"{to}: recipient certified under {framework.full_name}, adequacy decision {decision.cited}",
        framework.value,
    )


def _safeguard_verdict(
    to: str, mechanism: Mechanism, recipient: Recipient, rules: TransferRules, on: date
) -> HopVerdict:
    described = mechanism.describe()
    if mechanism.kind == MechanismKind.SCCS:
        return _scc_verdict(to, mechanism, recipient, rules.scc_decision(mechanism.decision), rules, on)
    if mechanism.kind == MechanismKind.BCRS:
        return HopVerdict(
            HopStatus.SAFEGUARDED,
            f"to {to} under {described}: Art. 47 binding corporate rules; needs a transfer impact assessment",
            described,
        )
    if recipient.role == RecipientRole.PROCESSOR:
        return HopVerdict(
            HopStatus.UNAPPROVED,
            f"to {to}: {described} relied on for a standing "
            "processor relationship; a derogation covers occasional transfers only "
            "(EDPB Guidelines 2/2018), a processor needs an Art. 46 safeguard",
            described,
        )
    return HopVerdict(
        HopStatus.DEROGATION,
        f"to {to} under {described}: not a safeguard, allowed "
        "only for occasional transfers (EDPB Guidelines 2/2018)",
        described,
    )


def _scc_verdict(
    to: str,
    mechanism: Mechanism,
    recipient: Recipient,
    scc: SccDecision | None,
    rules: TransferRules,
    on: date,
) -> HopVerdict:
    """SCCs cover a hop when their clauses are for its relationship and the contract exists and
    is valid on ``on``: the 2021 clauses from 27 Jun 2021; the clauses they repealed only if
    signed before 27 Sep 2021, and only until 27 Dec 2022 (Decision (EU) 2021/914 Art. 4)."""
    described = mechanism.describe()
    expected = expected_scc_module(recipient.role, recipient.onward)
    if scc is None:  # reference data without SCC decisions: the module alone is checked
        scc = SccDecision(
            id=CURRENT_SCCS,
            decision="Decision (EU) 2021/914",
            adopted=date(2021, 6, 4),
            modules=(1, 2, 3, 4),
            relationship="any",
        )
    cites = scc.decision
    if mechanism.module is not None and mechanism.module not in scc.modules:
        return HopVerdict(
            HopStatus.UNAPPROVED,
            f"to {to} under {described}: {cites} has no module "
            f"{mechanism.module}, its clauses are {scc.relationship} only",
            described,
        )
    declared = mechanism.module or scc.modules[0]
    if declared != expected:
        return HopVerdict(
            HopStatus.SCC_MODULE_MISMATCH,
            f"to {to} under {described} "
            f"({_MODULES[declared]}), but this hop is {_MODULES[expected]}: module "
            f"{expected} of Decision (EU) 2021/914 applies",
            described,
        )
    if why := _scc_not_valid_why(mechanism.signed, scc, rules, on):
        return HopVerdict(HopStatus.UNAPPROVED, f"to {to} under {described}: {why}", described)
    transitional = (
        ""
        if scc.ended is None
        else (
            f", repealed: a contract signed before {scc.concluded_before:%d %b %Y} covers transfers "
            f"until {scc.ended:%d %b %Y} ({scc.ended_by}), not from that day"
        )
    )
    return HopVerdict(
        HopStatus.SAFEGUARDED,
        f"to {to} under {described}: Art. 46(2)(c), {cites}"
        f"{transitional}; needs a transfer impact assessment",
        described,
    )


def _scc_not_valid_why(signed: date | None, scc: SccDecision, rules: TransferRules, on: date) -> str | None:
    """Why a contract on ``scc`` signed on ``signed`` does not cover a transfer on ``on``."""
    if signed is not None and signed < scc.starts:
        older = " or ".join(d.id for d in rules.scc_decisions if d.starts < scc.starts)
        return (
            f"signed on {signed}, before {scc.decision} applied ({scc.starts:%d %b %Y}): SCCs "
            f"signed then rest on {older or 'an earlier decision'}; declare which (decision)"
        )
    if signed is not None and scc.concluded_before is not None and signed >= scc.concluded_before:
        return (
            f"signed on {signed}, but {scc.decision} could be used for new contracts only "
            f"before {scc.concluded_before:%d %b %Y} ({scc.ended_by}): sign the SCCs of "
            "Decision (EU) 2021/914"
        )
    if signed is not None and on < signed:
        return f"signed on {signed}, not yet in place on {on}"
    if on < scc.starts:
        return f"{scc.decision} applies from {scc.starts:%d %b %Y}, not yet on {on}"
    if scc.ended is not None and on >= scc.ended:
        return (
            f"signed on {signed}: contracts on the repealed clauses were deemed to give "
            f"appropriate safeguards until {scc.ended:%d %b %Y} ({scc.ended_by}); from that "
            "day they no longer cover the transfer: sign the SCCs of Decision (EU) 2021/914"
        )
    return None


def _no_mechanism_verdict(
    to: str,
    kind: MechanismKind,
    decision: Adequacy | None,
    recipient: Recipient,
    rules: TransferRules,
    on: date,
) -> HopVerdict:
    """Nothing valid holds: say exactly what is missing, the case a DPO has to fix."""
    relied = "adequacy relied on, but " if kind == MechanismKind.ADEQUACY else ""
    if decision is not None:
        outside = (
            recipient.sector.value
            if recipient.sector in decision.outside_scope
            else "non-automated processing"
        )
        return HopVerdict(
            HopStatus.UNAPPROVED,
            f"to {to}: {relied}adequacy decision "
            f"{decision.cited} covers only {decision.condition}, and the recipient "
            f"is declared {outside}: it needs another mechanism",
        )
    certified = next(
        (d for d in rules.decisions_for(to) if d.framework == Framework.DPF and d.in_force(on)), None
    )
    if certified is not None:
        return HopVerdict(
            HopStatus.UNAPPROVED,
            f"to {to}: {relied}adequacy decision "
            f"{certified.cited} is in force but covers only organisations certified "
            "under the EU-US Data Privacy Framework, and the recipient is not declared "
            "certified (kind: dpf)",
        )
    past = [d for d in rules.decisions_for(to) if d.framework is None]
    if past:
        why = max(past, key=lambda d: d.adopted).not_in_force_why(on)
        return HopVerdict(HopStatus.UNAPPROVED, f"to {to}: {relied}{why}, and no other mechanism")
    if relied:
        return HopVerdict(HopStatus.UNAPPROVED, f"to {to}: {relied}no adequacy decision exists")
    return HopVerdict(HopStatus.UNAPPROVED, f"to {to}: no transfer mechanism")
