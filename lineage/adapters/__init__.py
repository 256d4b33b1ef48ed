"""Source adapters: native payload in, canonical events out. One module per source.

Which adapter serves which source is declared once, in :data:`lineage.sources.SOURCES`, where
:func:`lineage.sources.build_adapters` binds them for the worker.
"""
