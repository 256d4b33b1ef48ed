"""Reference data shipped with lineage (dated and sourced), read from the installed package."""

from __future__ import annotations

from importlib.resources import files

from lineage.domain.transfers import TransferRules, parse_transfer_rules


def default_transfer_rules() -> TransferRules:
    """EU/EEA membership and adequacy decisions as of the file's ``as_of`` date."""
    text = files(__package__).joinpath("transfer_rules.yaml").read_text(encoding="utf-8")
    return parse_transfer_rules(text, "lineage/reference/transfer_rules.yaml")
