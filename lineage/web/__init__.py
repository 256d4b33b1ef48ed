"""The DPO's workspace: server-rendered pages on the graph, under ``/ui`` of ``lineage serve``.

Logged in with the query API's token (:mod:`~lineage.web.session`), rendered from Jinja2
templates (:mod:`~lineage.web.render`), answered by the same application layer as the CLI and
the JSON API (:mod:`~lineage.web.pages`); the graph is drawn by cytoscape.js, vendored in
``static/vendor`` with its licence, so nothing is fetched from the internet.
"""

from lineage.web.pages import router

__all__ = ["router"]
