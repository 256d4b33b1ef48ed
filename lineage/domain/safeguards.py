"""What a transfer out of the EEA rests on, in the words a person reads (GDPR Art. 15(2)).

The verdicts of ``lineage.domain.transfers`` name a mechanism for a DPO ("SCCs module 2");
a person is told "standard contractual clauses of the European Commission, module 2
(controller to processor)", in French or English, and a hop with nothing valid says so. Pure.
"""

from __future__ import annotations

from lineage.domain.catalog import Catalog
from lineage.domain.labels import Lang
from lineage.domain.transfer_chains import TransferHop
from lineage.domain.transfer_rules import CURRENT_SCCS
from lineage.domain.transfers import HopStatus, Mechanism, MechanismKind

_RELATION = {
    Lang.EN: {
        1: "controller to controller",
        2: "controller to processor",
        3: "processor to processor",
        4: "processor to controller",
    },
    Lang.FR: {
        1: "de responsable à responsable",
        2: "de responsable à sous-traitant",
        3: "de sous-traitant à sous-traitant",
        4: "de sous-traitant à responsable",
    },
}
_FRAMEWORK_NAMES = {
    MechanismKind.DPF: (
        "the EU-US Data Privacy Framework",
        "le cadre de protection des données UE-États-Unis",
    ),
    MechanismKind.PRIVACY_SHIELD: (
        "the EU-US Privacy Shield",
        "le bouclier de protection des données UE-États-Unis",
    ),
    MechanismKind.SAFE_HARBOUR: ("the Safe Harbour principles", "les principes de la sphère de sécurité"),
}


def hop_mechanism(catalog: Catalog, hop: TransferHop) -> Mechanism | None:
    """What the hop rests on as the catalog declares it: the system's or processor's for the
    first hop, the sub-processor's own for an onward one."""
    last = catalog.processor(hop.chain[-1])
    if hop.onward:
        return last.transfer_mechanism
    system = next((sys for sys, st in catalog.stores() if st.id == hop.store), None)
    return (system.transfer_mechanism if system else None) or last.transfer_mechanism


def safeguard_words(
    status: HopStatus,
    mechanism: Mechanism | None,
    lang: Lang,
    *,
    place: str = "",
    decision: str | None = None,
) -> str:
    """What a transfer rests on, as Art. 15(2) asks to tell; a hop with nothing valid says so.

    ``place`` is the destination in words and ``decision`` the adequacy decision relied on,
    for an adequate hop that rests on a country's decision.
    """
    en = lang is Lang.EN
    if status is HopStatus.ADEQUATE and mechanism is not None and mechanism.kind in _FRAMEWORK_NAMES:
        name = _FRAMEWORK_NAMES[mechanism.kind][0 if en else 1]
        if en:
            return f"Adequacy decision of the European Commission: the recipient is certified under {name}"
        return (
            f"Décision d'adéquation de la Commission européenne : le destinataire est certifié selon {name}"
        )
    if status is HopStatus.ADEQUATE:
        cited = f" ({decision})" if decision else ""
        if en:
            return f"Adequacy decision of the European Commission for {place}{cited}"
        return f"Décision d'adéquation de la Commission européenne pour : {place}{cited}"
    if status is HopStatus.SAFEGUARDED and mechanism is not None and mechanism.kind is MechanismKind.SCCS:
        adopted = mechanism.decision or CURRENT_SCCS
        module = (
            f", module {mechanism.module} ({_RELATION[lang][mechanism.module]})" if mechanism.module else ""
        )
        if en:
            return f"Standard contractual clauses of the European Commission (Decision {adopted}){module}"
        return f"Clauses contractuelles types de la Commission européenne (décision {adopted}){module}"
    if status is HopStatus.SAFEGUARDED:
        if en:
            return "Binding corporate rules approved by a supervisory authority (Art. 47 GDPR)"
        return "Règles d'entreprise contraignantes approuvées par une autorité de contrôle (art. 47 du RGPD)"
    if status is HopStatus.DEROGATION and mechanism is not None and mechanism.derogation is not None:
        article = mechanism.derogation.article
        if en:
            return f"A derogation for a specific situation ({article} GDPR), for occasional transfers only"
        return (
            f"Une dérogation pour une situation particulière ({article} du RGPD), "
            "pour des transferts occasionnels uniquement"
        )
    if en:
        return "No valid safeguard is documented for this transfer: ask our data protection officer"
    return (
        "Aucune garantie valable n'est documentée pour ce transfert : "
        "interrogez notre délégué à la protection des données"
    )
