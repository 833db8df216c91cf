"""Network failures described in words an operator understands."""

from __future__ import annotations

import re

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
    UnsupportedURLSchemeError,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import error as twisted_error
from twisted.web._newclient import ResponseNeverReceived

_HOST_IN_DNS_ERROR = re.compile(r"lookup:?\s+(\S+?)\.?$")
# Scrapy 2.19 wraps download failures in its own classes; Twisted's are kept for older paths.
_PLAIN: tuple[tuple[type[BaseException] | tuple[type[BaseException], ...], str], ...] = (
    (DownloadTimeoutError, "timed out"),
    (DownloadConnectionRefusedError, "connection refused"),
    (ResponseDataLossError, "response cut short (fewer bytes than announced)"),
    (DownloadCancelledError, "download cancelled (too large, or stopped)"),
    (UnsupportedURLSchemeError, "URL scheme not supported"),
    (DownloadFailedError, "download failed"),
    ((twisted_error.TimeoutError, TimeoutError), "timed out"),
    (twisted_error.ConnectionRefusedError, "connection refused"),
    ((twisted_error.ConnectionLost, ResponseNeverReceived), "connection closed by the server"),
    (twisted_error.ConnectError, "could not connect"),
)


def describe_exception(exc: BaseException) -> str:
    """One line saying what went wrong, keeping the library's detail after a colon."""
    if isinstance(exc, HttpError):
        response = exc.response
        text = f"HTTP {response.status} {_reason(response.status)} from {response.url}"
        retry_after = response.headers.get(b"Retry-After")
        if retry_after:
            text += f" (the server asks to wait {retry_after.decode('latin-1')} before retrying)"
        return text
    if isinstance(exc, IgnoreRequest):
        return str(exc) or "request dropped"
    if isinstance(exc, CannotResolveHostError):
        match = _HOST_IN_DNS_ERROR.search(str(exc))
        host = f" for {match.group(1)}" if match else ""
        return f"DNS lookup failed{host} (unknown host, or no network)"
    if "SSL" in type(exc).__name__ or "TLS" in str(exc)[:200] or "certificate" in str(exc).lower():
        return f"TLS handshake failed (certificate or protocol): {exc}"
    for kinds, words in _PLAIN:
        if isinstance(exc, kinds):
            return f"{words}: {exc}"
    return f"{type(exc).__name__}: {exc}"


# Failures that often pass within minutes: worth another try in the same run.
_TRANSIENT = (
    DownloadTimeoutError,
    DownloadConnectionRefusedError,
    ResponseDataLossError,
    twisted_error.TimeoutError,
    TimeoutError,
    twisted_error.ConnectionRefusedError,
    twisted_error.ConnectionLost,
    ResponseNeverReceived,
)
_TRANSIENT_STATUSES = frozenset({500, 502, 503, 504})


def is_transient(exc: BaseException) -> bool:
    """True for a timeout, a refused or dropped connection, or a 5xx gateway-style reply.

    DNS failures, TLS errors, 4xx replies and robots.txt refusals do not pass by themselves
    (or mean there is no network at all): retrying them in the same run only adds waiting.
    """
    if isinstance(exc, HttpError):
        return exc.response.status in _TRANSIENT_STATUSES
    return isinstance(exc, _TRANSIENT)


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
