"""The domain: what lineage knows about personal data, with no I/O of its own."""
