"""OpenLineage RunEvents, built with the openlineage-python client, into store-level flows."""

from __future__ import annotations

import json
from typing import Any

import pytest
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import column_lineage_dataset, tags_dataset
from openlineage.client.serde import Serde

from lineage.answers.live_catalog import LiveCatalog
from lineage.domain.alerts import alert_hits
from lineage.domain.catalog import parse_catalog
from lineage.domain.events import StoreFlowEvent, decode_event, encode_event, event_key
from lineage.errors import AdapterError, CatalogError
from lineage.settings import Settings
from lineage.sources import build_adapters
from tests.conftest import FIXTURES

CRM, INVOICES = (
    ("salesforce://acme.my.salesforce.com", "Contact"),
    ("postgres://pennylane-export:5432", "billing.public.invoices"),
)
CV, DROPBOX = ("s3://acme-hr-cv", "candidates"), ("dropbox://acme", "recruitment")
UNMAPPED = ("snowflake://acme.eu-west-1", "analytics.public.contacts")


def tags(*pairs: tuple[str | None, str]) -> tags_dataset.TagsDatasetFacet:
    return tags_dataset.TagsDatasetFacet(
        tags=[tags_dataset.TagsDatasetFacetFields(key="data_category", value=v, field=f) for f, v in pairs]
    )


def lineage(**columns: list[tuple[tuple[str, str], str]]) -> column_lineage_dataset.ColumnLineageDatasetFacet:
    return column_lineage_dataset.ColumnLineageDatasetFacet(
        fields={
            out: column_lineage_dataset.Fields(
                inputFields=[
                    column_lineage_dataset.InputField(namespace=ds[0], name=ds[1], field=f)
                    for ds, f in sources
                ],
                transformationDescription="",
                transformationType="IDENTITY",
            )
            for out, sources in columns.items()
        }
    )


def inp(dataset: tuple[str, str], facets: dict[str, Any] | None = None) -> InputDataset:
    return InputDataset(namespace=dataset[0], name=dataset[1], facets=facets or {})


def out(dataset: tuple[str, str], facets: dict[str, Any] | None = None) -> OutputDataset:
    return OutputDataset(namespace=dataset[0], name=dataset[1], facets=facets or {})


def run_event(
    inputs: list[InputDataset], outputs: list[OutputDataset], state: RunState = RunState.COMPLETE
) -> dict[str, Any]:
    event = RunEvent(
        eventType=state,
        eventTime="2026-06-02T09:30:00.000Z",
        run=Run(runId="0190a3c2-5b7e-7d2a-9f00-4c1d2e3f4a5b"),
        job=Job(namespace="airflow://acme", name="crm_to_billing"),
        producer="https://github.com/apache/airflow",
        inputs=inputs,
        outputs=outputs,
    )
    return json.loads(Serde.to_json(event))


@pytest.fixture(scope="module")
def adapt() -> Any:
    return build_adapters(parse_catalog(Settings().catalog.read_text()))["openlineage"]


class TestOpenLineageAdapter:
    def test_column_lineage_carries_each_columns_tags_from_its_own_input(self, adapt: Any) -> None:
        event = run_event(
            [
                inp(CRM, {"tags": tags(("Email", "user.contact.email"))}),
                inp(CV, {"tags": tags(("cv", "user.content.private.cv"))}),
            ],
            [
                out(
                    INVOICES,
                    {
                        "tags": tags(("customer_name", "user.name")),
                        "columnLineage": lineage(email=[(CRM, "Email")], customer_name=[(CRM, "LastName")]),
                    },
                )
            ],
        )
        [flow] = adapt(event, None)
        assert isinstance(flow, StoreFlowEvent)
        assert (flow.store, flow.destination) == ("salesforce/contacts", "billing/invoices")
        assert flow.categories == ("user.contact.email", "user.name")  # nothing from the CV bucket
        assert decode_event(encode_event(flow)) == flow
        assert event_key(flow) == b"salesforce/contacts>billing/invoices"
        assert adapt(event, None) == [flow]  # same run, same id: a redelivery changes nothing

    def test_without_column_lineage_the_outputs_tags_else_the_inputs_move(self, adapt: Any) -> None:
        tagged_output = run_event(
            [inp(CRM, {"tags": tags((None, "user.contact"))})],
            [out(INVOICES, {"tags": tags((None, "user.financial"))})],
        )
        untagged_output = run_event(
            [inp(CV, {"tags": tags(("cv", "user.content.private.cv"))})], [out(DROPBOX)]
        )
        assert [f.categories for f in adapt(tagged_output, None)] == [("user.financial",)]
        assert [(f.store, f.destination, f.categories) for f in adapt(untagged_output, None)] == [
            ("s3://acme-hr-cv", "dropbox/recruitment", ("user.content.private.cv",))
        ]

    @pytest.mark.parametrize("state", [RunState.START, RunState.RUNNING, RunState.FAIL, RunState.ABORT])
    def test_only_a_completed_run_moves_data(self, adapt: Any, state: RunState) -> None:
        event = run_event([inp(CV, {"tags": tags((None, "user"))})], [out(DROPBOX)], state)
        assert adapt(event, None) == []

    def test_unmapped_datasets_and_untagged_runs_give_nothing(self, adapt: Any) -> None:
        unmapped = run_event([inp(CRM, {"tags": tags((None, "user"))})], [out(UNMAPPED)])
        untagged = run_event([inp(CRM)], [out(INVOICES)])
        assert adapt(unmapped, None) == [] and adapt(untagged, None) == []

    @pytest.mark.parametrize(
        ("mutate", "reason"),
        [
            (
                lambda e: e["inputs"][0]["facets"]["tags"]["tags"][0].update(value="lea@example.fr"),
                "inputs[0].facets.tags.tags[0].value is not a fideslang data category",
            ),
            (lambda e: e.update(eventTime="9999-12-31T00:00:00Z"), "eventTime is outside"),
            (lambda e: e.update(outputs={"namespace": "x"}), "outputs is not an array"),
            (lambda e: e["run"].pop("runId"), "run.runId is not a non-empty string"),
        ],
    )
    def test_what_cannot_be_read_is_refused_naming_the_field_never_the_value(
        self, adapt: Any, mutate: Any, reason: str
    ) -> None:
        event = run_event([inp(CV, {"tags": tags((None, "user"))})], [out(DROPBOX)])
        mutate(event)
        with pytest.raises(AdapterError) as refused:
            adapt(event, None)
        assert reason in refused.value.reason and "lea@" not in refused.value.reason

    def test_the_recorded_spark_run_is_judged_like_a_copy_along_the_declared_flow(self, adapt: Any) -> None:
        payload = json.loads((FIXTURES / "openlineage" / "spark_cv_share.json").read_text())
        flows = adapt(payload, None)
        live = LiveCatalog.load(Settings().catalog)
        hits = alert_hits(flows, live.unapproved, live.unapproved_moves)
        assert hits and {h.hop.store for h in hits} == {"dropbox/recruitment"}
        assert {h.subject for h in hits} == {None}  # a flow names nobody


class TestCatalogDatasets:
    def test_a_dataset_may_be_one_store_only(self) -> None:
        text = (
            Settings()
            .catalog.read_text()
            .replace('datasets: ["dropbox://acme/recruitment"]', 'datasets: ["s3://acme-hr-cv/candidates"]')
        )
        with pytest.raises(CatalogError, match="duplicate dataset id"):
            parse_catalog(text)
