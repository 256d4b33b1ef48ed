"""The no-Docker local stack: Kafka (KRaft) and Neo4j as plain Java processes on loopback.

Jars come from Maven Central through the manifests in ``lineage/stack/maven``; data, logs and pid
files live under one state folder (``LINEAGE_STACK_HOME``).
"""
