"""lineage: where personal data goes, per person, in real time.

Data flows one way: source payload -> adapter (``lineage.adapters``) -> canonical event
(``lineage.domain.events``) -> Kafka topic (``streams``) -> processor -> Neo4j graph (``graph``).
"""

__version__ = "0.1.0"
