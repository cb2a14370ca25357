"""A failure that is not about one row's content (permissions, a missing bucket or table, a bad argument) said
in one line; its stack trace belongs in the log, not on the console."""

from __future__ import annotations

import logging


def one_line(exc: BaseException) -> str:
    """``<Type>: <first line of the message>``, the AWS error code and operation named when there is one."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and "Error" in response:
        error = response["Error"]
        operation = getattr(exc, "operation_name", "") or "request"
        return f"{type(exc).__name__}: {operation}: {error.get('Code', '?')}: {error.get('Message', '')}".strip()
    java = getattr(exc, "java_exception", None)
    text = str(java.toString()) if java is not None else str(exc)
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def log_failure(log: logging.Logger, what: str, exc: BaseException) -> str:
    """Log ``exc`` with its stack trace and return its one line."""
    line = one_line(exc)
    log.error("%s failed: %s", what, line, exc_info=exc)
    return line
