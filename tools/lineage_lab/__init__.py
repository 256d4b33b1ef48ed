"""lineage's laboratory: benchmarks, fault injection, fuzzing and bulk loading.

Installed beside the product for development (``pip install -e ./tools``), never shipped with it:
the lab imports the product, the product never imports the lab.
"""
