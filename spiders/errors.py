"""Network failures described in words an operator understands."""

from __future__ import annotations

import errno
import re
from typing import Literal
from urllib.parse import urlsplit

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
from scrapy.http import Request
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import error as twisted_error
from twisted.python.failure import Failure
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


# What an answer usually means where its bare status says little to an operator. A 403 to a
# crawler whose pages open in a browser is mostly the site refusing non-browser clients or
# clients abroad (Korean government and news sites do both): a source's user_agent may help.
_STATUS_MEANING = {403: "refused (often the User-Agent or the client's country)"}

_TOO_LARGE = re.compile(
    r"(?:receive |size \()(\d+)\)? (?:bytes )?(?:which is )?larger than download max size \((\d+)\)"
)
_BOMB = re.compile(
    r"\((\d+) B compressed, \d+ B decompressed so far\) exceeded DOWNLOAD_MAXSIZE \((\d+) B\)"
)
_TIMEOUT = re.compile(r"took longer than ([\d.]+) seconds")


def describe_exception(exc: BaseException) -> str:
    """One line saying what went wrong, keeping the library's detail after a colon."""
    if isinstance(exc, HttpError):
        response = exc.response
        location = response.headers.get(b"Location")
        if 300 <= response.status < 400 and location:
            return _unfollowed_redirect(location.decode("latin-1"))
        text = describe_status(response.status, response.url)
        retry_after = response.headers.get(b"Retry-After")
        if retry_after:
            text += f" (the server asks to wait {retry_after.decode('latin-1')} before retrying)"
        return text
    special = _size_or_redirect(str(exc))
    if special:
        return special
    if isinstance(exc, IgnoreRequest):
        return str(exc) or "request dropped"
    if "not fetched:" in str(exc):  # refused by the link policy, also when DNS led there
        return str(exc)[str(exc).index("not fetched:") :].rstrip(".")
    if isinstance(exc, DownloadTimeoutError | twisted_error.TimeoutError | TimeoutError):
        limit = _TIMEOUT.search(str(exc))
        return f"timed out: no complete answer within {limit.group(1)} s" if limit else "timed out"
    if isinstance(exc, CannotResolveHostError):
        match = _HOST_IN_DNS_ERROR.search(str(exc))
        host = f" for {match.group(1)}" if match else ""
        return f"DNS lookup failed{host} (unknown host, or no network)"
    if _tls_failure(exc):
        return f"TLS handshake failed (certificate or protocol): {exc}"
    if _connection_lost(exc):
        return "connection reset by the server before the response was complete"
    for kinds, words in _PLAIN:
        if isinstance(exc, kinds):
            return f"{words}: {exc}" if str(exc).strip() else words
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
    return isinstance(exc, _TRANSIENT) or (_connection_lost(exc) and not _tls_failure(exc))


# How a request failed before it reached any server: the name did not resolve, the host refused
# the connection, or there was no route to it. When every source of a run fails this way, the
# network is more likely down than the sources (cityradar.outage).
NetworkFailure = Literal["dns", "refused", "unreachable"]
_UNREACHABLE_ERRNOS = frozenset({errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN})


def network_failure(exc: BaseException) -> NetworkFailure | None:
    """The kind of connection-level failure ``exc`` is, or None for any other failure.

    A name refused by the link policy after resolving (``not fetched: ...``) is a decision, not a
    failure to resolve; timeouts are left out too, since a slow server times out the same way.
    """
    if "not fetched:" in str(exc):
        return None
    if isinstance(exc, CannotResolveHostError | twisted_error.DNSLookupError):
        return "dns"
    if isinstance(exc, twisted_error.UnknownHostError):
        return "dns"
    if isinstance(exc, DownloadConnectionRefusedError | twisted_error.ConnectionRefusedError):
        return "refused"
    if isinstance(exc, twisted_error.NoRouteError):
        return "unreachable"
    if type(exc) is twisted_error.ConnectError and exc.osError in _UNREACHABLE_ERRNOS:
        return "unreachable"
    return None


# What the network or a site does to a download: the crawl report says it in words
# (describe_exception); a traceback of it would tell the operator nothing more.
_NETWORK = (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    ResponseDataLossError,
    twisted_error.ConnectError,
    twisted_error.DNSLookupError,
    twisted_error.TimeoutError,
    TimeoutError,
    ConnectionError,
    twisted_error.ConnectionLost,
    ResponseNeverReceived,
)


def is_network_failure(exc: BaseException) -> bool:
    """True for a failure of the network or of the site's server (DNS, refused, timed out,
    dropped, TLS, a reply cut short), as opposed to a bug in the crawl's own code."""
    return isinstance(exc, _NETWORK) or _connection_lost(exc) or _tls_failure(exc)


def _size_or_redirect(message: str) -> str | None:
    """Words for a body over the download cap (as sent, or once decompressed) and for a
    redirect loop, which Scrapy reports in its own terms."""
    bomb = _BOMB.search(message)
    if bomb:
        return (
            f"response larger than the {_mib(int(bomb.group(2)))} download cap once decompressed "
            f"({int(bomb.group(1)):,} bytes compressed: a compression bomb, or a huge page)"
        )
    large = _TOO_LARGE.search(message)
    if large:
        return (
            f"response larger than the {_mib(int(large.group(2)))} download cap "
            f"({int(large.group(1)):,} bytes announced)"
        )
    if "max redirections reached" in message:
        return "redirect loop: the server kept redirecting (more than 20 redirects)"
    return None


def _unfollowed_redirect(location: str) -> str:
    """Scrapy follows redirects over http(s) only; any other is left as a 3xx answer."""
    scheme = urlsplit(location).scheme
    if scheme and scheme not in ("http", "https"):
        return (
            f"not fetched: the server redirected to a {scheme}: URL ({location}); "
            "only http and https links are followed"
        )
    return f"redirect to {location} not followed"


def _mib(size: int) -> str:
    return f"{size / 2**20:g} MiB"


def _tls_failure(exc: BaseException) -> bool:
    return (
        "SSL" in type(exc).__name__ or "TLS" in str(exc)[:200] or "certificate" in str(exc).lower()
    )


def _connection_lost(exc: BaseException) -> bool:
    """A connection the server dropped mid-answer (Scrapy hides it inside DownloadFailedError)."""
    seen: list[BaseException] = [exc]
    while seen:
        current = seen.pop()
        if isinstance(current, twisted_error.ConnectionLost | ResponseNeverReceived):
            return True
        reasons = getattr(current, "reasons", None) or []  # twisted's ResponseFailed
        seen.extend(getattr(reason, "value", reason) for reason in reasons)
        if current.__cause__ is not None:
            seen.append(current.__cause__)
    return False


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def failed_request(failure: Failure) -> Request:
    """The request an errback's failure is about.

    Scrapy sets ``request`` on the Failure it hands an errback; Twisted's type does not declare
    it, so it is read here, once, and checked.
    """
    request = getattr(failure, "request", None)
    if not isinstance(request, Request):
        raise TypeError(f"a Failure without its request: {failure.value!r}")
    return request


def describe_status(status: int, url: str) -> str:
    """An HTTP error answer in words, with what it usually means where the bare status says
    little (crawls, and fetches outside a crawl such as `sources test`)."""
    text = f"HTTP {status} {_reason(status)} from {url}"
    if status in _STATUS_MEANING:
        text += f": {_STATUS_MEANING[status]}"
    return text
