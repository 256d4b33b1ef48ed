"""The command line: ``lineage`` (or ``python -m lineage``)."""
