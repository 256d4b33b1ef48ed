"""Every key a person may meet in a report has words in French and English."""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import ModuleType

import pytest
from pydantic import BaseModel

import lineage.adapters
from lineage.domain.catalog import Clock, Duration, RetentionRule, RetentionTrigger, Whichever, parse_catalog
from lineage.domain.categories import known_categories, known_data_uses
from lineage.domain.events import LegalBasis
from lineage.domain.labels import (
    CATEGORY_LABELS,
    LEGAL_BASIS_LABELS,
    PURPOSE_LABELS,
    RIGHT_LABELS,
    Lang,
    Right,
    category_label,
    country_name,
    default_lang,
    duration_words,
    legal_basis_label,
    purpose_label,
    retention_words,
)

DEMO = Path(__file__).resolve().parents[2] / "lineage" / "catalogs" / "demo.yaml"
KEYS = known_categories() | known_data_uses()


def _strings(value: object, seen: set[int]) -> Iterator[str]:
    """Every string reachable from a module-level value: tables, tuples, rules, families."""
    if id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for k, v in value.items():
            yield from _strings(k, seen)
            yield from _strings(v, seen)
    elif isinstance(value, list | tuple | set | frozenset):
        for v in value:
            yield from _strings(v, seen)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from _strings(getattr(value, f.name), seen)
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _strings(getattr(value, name), seen)


def _adapter_modules() -> list[ModuleType]:
    return [
        importlib.import_module(f"lineage.adapters.{info.name}")
        for info in pkgutil.iter_modules(lineage.adapters.__path__)
    ]


def _ancestors(key: str) -> list[str]:
    parts = key.split(".")
    return [".".join(parts[:n]) for n in range(1, len(parts) + 1)]


def used_keys() -> set[str]:
    """Keys of the demo catalog and of every adapter's tables, with their fideslang ancestors."""
    seen: set[int] = set()
    found: set[str] = set()
    for module in _adapter_modules():
        for value in vars(module).values():
            found |= {s for s in _strings(value, seen) if s in KEYS}
    found |= {s for s in _strings(parse_catalog(DEMO.read_text()), set()) if s in KEYS}
    return {a for key in found for a in _ancestors(key) if a in KEYS}


class TestLabelsComplete:
    def test_every_key_the_catalog_and_the_adapters_use_has_both_labels(self) -> None:
        used = used_keys()
        assert {"user.contact.email", "marketing.communications.email", "user.content.private.cv"} <= used
        assert {"marketing", "user.contact"} <= used  # ancestors walked too
        missing = sorted(k for k in used if k not in CATEGORY_LABELS and k not in PURPOSE_LABELS)
        assert missing == []

    def test_every_fideslang_key_and_extension_has_both_labels(self) -> None:
        assert sorted(known_categories() - set(CATEGORY_LABELS)) == []
        assert sorted(known_data_uses() - set(PURPOSE_LABELS)) == []
        for table in (CATEGORY_LABELS, PURPOSE_LABELS):
            assert all(en and fr for en, fr in table.values())

    def test_legal_bases_and_rights_have_both_languages(self) -> None:
        assert set(LEGAL_BASIS_LABELS) == set(LegalBasis)
        assert set(RIGHT_LABELS) == set(Right)
        assert legal_basis_label("consent", Lang.FR) == "votre consentement (art. 6.1.a du RGPD)"


class TestWords:
    def test_category_and_purpose_in_both_languages(self) -> None:
        assert category_label("user.contact.email", Lang.EN) == "E-mail address"
        assert category_label("user.contact.email", Lang.FR) == "Adresse e-mail"
        assert purpose_label("employment.recruitment", Lang.FR) == "Recrutement"

    def test_an_unknown_key_reads_as_its_nearest_ancestor(self) -> None:
        assert category_label("user.contact.email.work", Lang.EN) == "E-mail address"
        assert category_label("nothing.known", Lang.EN) == "nothing.known"

    @pytest.mark.parametrize(
        ("years", "months", "en", "fr"),
        [
            (3, 0, "3 years", "3 ans"),
            (1, 0, "1 year", "1 an"),
            (0, 6, "6 months", "6 mois"),
            (1, 6, "1 year and 6 months", "1 an et 6 mois"),
        ],
    )
    def test_durations(self, years: int, months: int, en: str, fr: str) -> None:
        duration = Duration(years=years, months=months)
        assert (duration_words(duration, Lang.EN), duration_words(duration, Lang.FR)) == (en, fr)

    def test_a_rule_reads_as_the_policy_promised(self) -> None:
        rule = RetentionRule(store="a/b", duration=Duration(years=3), trigger=RetentionTrigger.LAST_CONTACT)
        assert retention_words(rule, Lang.EN) == "3 years after the last contact"
        assert retention_words(rule, Lang.FR) == "3 ans après le dernier contact"

    def test_combined_and_legal_rules(self) -> None:
        rule = RetentionRule(
            store="a/b",
            clocks=(
                Clock(duration=Duration(years=3), trigger=RetentionTrigger.LAST_CONTACT),
                Clock(duration=Duration(), trigger=RetentionTrigger.ACCOUNT_CLOSURE),
            ),
            whichever=Whichever.FIRST,
            legal_obligation=True,
        )
        assert retention_words(rule, Lang.EN) == (
            "3 years after the last contact or until your account is closed, whichever comes first"
            " (required by law)"
        )
        assert retention_words(rule, Lang.FR).startswith("3 ans après le dernier contact ou jusqu'à")

    def test_countries_and_default_language(self) -> None:
        assert country_name("US", Lang.FR) == "États-Unis"
        assert country_name("US", Lang.EN) == "United States"
        assert default_lang("FR") is Lang.FR
        assert default_lang("DE") is Lang.EN
        assert default_lang(None) is Lang.EN
