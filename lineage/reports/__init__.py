"""Documents sent to a person: the access report rendered as HTML and PDF.

A package of its own below the application layer: it renders domain models (no graph, no
settings), so the CLI, the API and the demo get the same document from ``lineage.answers``.
"""
