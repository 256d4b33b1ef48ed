"""The base of every answer: a frozen pydantic model, so the CLI's ``--json``, the API's
response (and its OpenAPI schema) and the workspace's templates all read one shape.

``extra="forbid"``: a column a query starts returning that no answer declares fails at once,
instead of reaching the API's JSON unannounced (or vanishing from it).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Answer(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
