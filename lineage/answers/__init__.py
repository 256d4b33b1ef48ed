"""Answers to a DPO's questions, shared by the CLI and the HTTP API.

Each function joins what the catalog declares (domain, pure) with what the graph observed
(``graph.reader``) into plain, JSON-ready dicts; the CLI renders them, the API returns them.
"""
