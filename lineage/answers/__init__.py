"""The application layer: what the CLI, the HTTP API and the worker all call.

Answers to a DPO's questions (``subjects``, ``transfers``, ``retention``, ``erasure``, ``ropa``)
join what the catalog declares (domain, pure) with what the graph observed (``graph``) into
typed, frozen pydantic models; the CLI prints and tabulates them, the API declares them as its
response models, the workspace's templates read their fields. The CLI, the API, the workspace
and the demo reach the graph through this package only, opening their driver with
:func:`lineage.answers.connection.open_driver`. The worker's
coordination lives here too: the catalog reloaded and applied when its file changes
(``live_catalog``), transfer alerts re-evaluated against data already held (``alerting``), and
the checks a timer runs (``scheduled_checks``); ``streams/`` keeps only faust and Kafka.
"""
