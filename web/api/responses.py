"""The error answers every API route documents, in one place."""

from __future__ import annotations

from typing import Any

from web.schemas import Problem

COMMON: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "No valid API token."},
    404: {"model": Problem, "description": "No such incident in your authority."},
    422: {"model": Problem, "description": "The request is not valid; see the message."},
}

UPDATE: dict[int | str, dict[str, Any]] = {
    409: {"model": Problem, "description": "Closed, not required, or already done."},
    503: {"model": Problem, "description": "Temporal is unreachable; try again."},
}
