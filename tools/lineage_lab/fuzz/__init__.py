"""``lineage-lab fuzz``: hostile payloads through the worker's own code, and through HTTP and Kafka.

:mod:`~lineage_lab.fuzz.mutations` makes mutants from the demo feeds' realistic payloads, marking
every address and phone number it injects so :mod:`~lineage_lab.fuzz.scan` can find them wherever
they leak; :mod:`~lineage_lab.fuzz.harness` runs them in-process, :mod:`~lineage_lab.fuzz.http_leg`
over the signed webhook receiver and a real worker, and :mod:`~lineage_lab.fuzz.report` tells.
"""
