"""The webhook receiver: sources POST here, payloads land unchanged on their raw topics.

``signatures`` holds the pure verification of each source's scheme; ``app`` the FastAPI app
(``create_api``), run by ``lineage serve``.
"""
