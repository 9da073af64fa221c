"""The error answer of the Bot API: an HTTP status, a description and optional parameters."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A Bot API failure, answered as {"ok": false, "error_code", "description"}."""

    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def payload(self) -> dict[str, Any]:
        """The JSON body Telegram sends for this error."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(message: str) -> ApiError:
    """A 400 "Bad Request: ..." error."""
    return ApiError(400, f"Bad Request: {message}")


def forbidden(message: str) -> ApiError:
    """A 403 "Forbidden: ..." error."""
    return ApiError(403, f"Forbidden: {message}")
