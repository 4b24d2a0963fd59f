"""Why an action on a case did not happen (mapped to HTTP by the routes)."""

from __future__ import annotations


class ActionRefused(Exception):
    """The action cannot happen now: 409 (the case's state) or 403 (the caller)."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message


class ActionDataError(Exception):
    """The body is well-formed but wrong for this case: 422 naming `field`."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
