"""Kafka as both of lineage's processes see it: topic names, client options, the broker probe.

The HTTP receiver writes the raw topics and the worker reads them, so the topic names, the
client options built from :class:`lineage.settings.KafkaSettings` (TLS, SASL) and the check
that a broker answers are a contract between the two, not a part of either. They live here, in
the application's own package, so that the HTTP side (``lineage/api``, ``lineage/web``) and the
answers (which name lineage's own copies of payloads in an erasure request) never import the
worker's package, ``streams/``, while the worker, the local stack and the CLI read the same
names. Every Kafka topic name lineage uses is made in :mod:`lineage.kafka.topics`.

Nothing here runs a consumer or a stage: those are the worker's (``streams/``), as are faust's
own options and the creation of topics.
"""
