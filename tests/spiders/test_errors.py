"""Failures in words an operator understands, and which of them may pass by themselves."""

from __future__ import annotations

import pytest
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
)
from scrapy.http import Request, Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import (
    ConnectError,
    ConnectionLost,
    ConnectionRefusedError,
    DNSLookupError,
    NoRouteError,
    TCPTimedOutError,
)
from twisted.python.failure import Failure
from twisted.web.client import ResponseFailed

from spiders.errors import describe_exception, is_transient, network_failure
from spiders.resolver import ForbiddenAddressError, refuse_forbidden


def _reset() -> DownloadFailedError:
    """What Scrapy 2.19 raises when the server drops the connection mid-answer."""
    cause = ResponseFailed([Failure(ConnectionLost("non-clean"))])
    try:
        raise DownloadFailedError(str(cause)) from cause
    except DownloadFailedError as exc:
        return exc


def _resolved_to_link_local() -> CannotResolveHostError:
    """What Scrapy raises when the resolver refuses a name that resolves to link-local."""
    try:
        refuse_forbidden("169.254.169.254", "meta.example")
    except ForbiddenAddressError as exc:
        return CannotResolveHostError(f"DNS lookup failed: {exc}.")
    raise AssertionError("a link-local address passed")


@pytest.mark.parametrize(
    ("exception", "words", "transient"),
    [
        (_reset(), "connection reset by the server before the response was complete", True),
        (
            DownloadTimeoutError("Getting http://x/rss.xml took longer than 3.0 seconds."),
            "timed out: no complete answer within 3.0 s",
            True,
        ),
        (
            IgnoreRequest(
                "Ignored response <200 http://x/feed> because its body (65251 B compressed, "
                "1114112 B decompressed so far) exceeded DOWNLOAD_MAXSIZE (1048576 B) during "
                "decompression."
            ),
            "response larger than the 1 MiB download cap once decompressed (65,251 bytes "
            "compressed: a compression bomb, or a huge page)",
            False,
        ),
        (
            Exception(
                "Expected to receive 2321878 bytes which is larger than download max size "
                "(33554432) in request <GET http://x/feed>."
            ),
            "response larger than the 32 MiB download cap (2,321,878 bytes announced)",
            False,
        ),
        (
            IgnoreRequest("max redirections reached"),
            "redirect loop: the server kept redirecting (more than 20 redirects)",
            False,
        ),
        (
            IgnoreRequest("not fetched: 169.254.169.254 is a link-local address: http://x"),
            "not fetched: 169.254.169.254 is a link-local address: http://x",
            False,
        ),
        (
            _resolved_to_link_local(),
            "not fetched: meta.example resolves to 169.254.169.254, a link-local address",
            False,
        ),
    ],
)
def test_each_failure_is_described_and_classed(exception, words, transient):
    assert describe_exception(exception) == words
    assert is_transient(exception) is transient


@pytest.mark.parametrize(
    ("exception", "kind"),
    [
        (CannotResolveHostError("DNS lookup failed: no results for hostname lookup: x."), "dns"),
        (DNSLookupError("x.invalid"), "dns"),
        (DownloadConnectionRefusedError("Connection was refused by other side: 111"), "refused"),
        (ConnectionRefusedError(111, "Connection refused"), "refused"),
        (NoRouteError(101, "Network is unreachable"), "unreachable"),
        (ConnectError(113, "No route to host"), "unreachable"),
        # failures that say nothing about this machine's network
        (ConnectError(None, "something else"), None),
        (TCPTimedOutError(110, "Connection timed out"), None),
        (DownloadTimeoutError("Getting http://x/rss.xml took longer than 3.0 seconds."), None),
        (_reset(), None),
        (_resolved_to_link_local(), None),  # the link policy's refusal, not a failed lookup
    ],
)
def test_failures_before_reaching_the_host_are_told_apart(exception, kind):
    assert network_failure(exception) == kind


def _http_error(status: int, url: str = "https://www.koreaherald.com/rss/newsAll") -> HttpError:
    """What Scrapy's HttpErrorMiddleware raises for an answer the spider does not handle."""
    response = Response(url, status=status, request=Request(url))
    return HttpError(response, f"Ignoring non-200 response ({status})")


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (
            403,
            "HTTP 403 Forbidden from https://www.koreaherald.com/rss/newsAll: refused (often the "
            "User-Agent or the client's country)",
        ),
        # other statuses keep their bare wording
        (404, "HTTP 404 Not Found from https://www.koreaherald.com/rss/newsAll"),
        (401, "HTTP 401 Unauthorized from https://www.koreaherald.com/rss/newsAll"),
    ],
)
def test_a_refusal_says_what_usually_causes_it(status, words):
    assert describe_exception(_http_error(status)) == words
    assert not is_transient(_http_error(status))  # retrying at once is refused the same way
