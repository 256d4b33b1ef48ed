"""The application layer: what the CLI, the HTTP API and the worker all call.

Answers to a DPO's questions (``subjects``, ``transfers``, ``retention``, ``erasure``, ``ropa``)
join what the catalog declares (domain, pure) with what the graph observed (``graph.reader``)
into plain, JSON-ready dicts; the CLI renders them, the API returns them. The worker's
coordination lives here too: the catalog reloaded and applied when its file changes
(``live_catalog``), transfer alerts re-evaluated against data already held (``alerting``), and
the checks a timer runs (``scheduled_checks``); ``streams/`` keeps only faust and Kafka.
"""
