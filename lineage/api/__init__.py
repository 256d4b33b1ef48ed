"""The HTTP service: webhooks in, unchanged, onto raw topics; the CLI's answers out.

``signatures`` holds the pure verification of each source's scheme, ``bodies`` the bounded
reading and parsing every body goes through, ``access`` the token check that comes before any
body of a query; ``app`` assembles the FastAPI app (``create_api``), run by ``lineage serve``.
"""
