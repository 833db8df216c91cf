"""Scrapy settings: polite by default. Per-run knobs come from ``crawl_overrides``."""

from __future__ import annotations

from typing import Any

from scrapy.settings import default_settings as _scrapy_defaults

from cityradar import USER_AGENT as _USER_AGENT

BOT_NAME = "cityradar"
# the modules holding the spider classes (spiders.SPIDER_CLASSES): Scrapy's spider loader imports
# every module listed when a crawler starts, and the whole package would bring discovery's httpx
SPIDER_MODULES = ["spiders.feed", "spiders.html_list", "spiders.sitemap"]
USER_AGENT = _USER_AGENT

# Politeness: obey robots.txt, pace requests per host, back off when a server slows down.
ROBOTSTXT_OBEY = True
# the rules of robots.txt that apply are cityradar's, also for a source that sends a browser's
# User-Agent (user_agent in sources.yaml): a site's rules for its crawlers bind this one too
ROBOTSTXT_USER_AGENT = _USER_AGENT
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
RANDOMIZE_DOWNLOAD_DELAY = True
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

# Patience with slow government servers, but never forever.
DOWNLOAD_TIMEOUT = 30
RETRY_ENABLED = True
RETRY_TIMES = 2
# a request that failed every try is reported in the crawl report: a warning line in the
# crawl's log, not an error (Scrapy's default)
RETRY_GIVE_UP_LOG_LEVEL = "WARNING"
RETRY_AFTER_MAX = 120  # longest Retry-After (s) a crawl waits for; longer ones fail this run

# Scrapy does not verify TLS certificates by default; cityradar does. A server with an
# incomplete chain gets its missing CA through the source's ca_file, never by turning this off.
DOWNLOAD_VERIFY_CERTIFICATES = True
# Only HTTP(S) is ever downloaded: Scrapy's file:, data:, s3: and ftp: handlers are switched off.
DOWNLOAD_HANDLERS = {"file": None, "data": None, "s3": None, "ftp": None}
# Host names that resolve to a link-local address are refused like such addresses in URLs.
TWISTED_DNS_RESOLVER = "spiders.resolver.GuardedResolver"
DOWNLOAD_MAXSIZE = 32 * 1024 * 1024
DOWNLOAD_WARNSIZE = 8 * 1024 * 1024
CLOSESPIDER_TIMEOUT = 900

# Some ministries answer the first request with a 307 and a cookie (sources.md §5.1).
COOKIES_ENABLED = True
REDIRECT_ENABLED = True

DOWNLOADER_MIDDLEWARES = {
    # First of all: a URL the source may not fetch (not http(s), link-local, off-site) is
    # refused before robots.txt is even asked for; redirects pass here again.
    "spiders.middlewares.LinkPolicyMiddleware": 50,
    # Scrapy 2.19's own robots middleware lets concurrent requests through while robots.txt
    # is still loading; ours replaces it (see spiders/middlewares.py).
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "spiders.middlewares.RobotsTxtMiddleware": 100,
    # A source's own User-Agent, set before Scrapy's UserAgentMiddleware (500) would set
    # cityradar's; the robots.txt request made at 100 goes down the whole chain, so it too.
    "spiders.middlewares.SourceUserAgentMiddleware": 400,
    # Just outside the retry middleware (550), so every attempt is logged, failures included.
    "spiders.middlewares.FetchLogMiddleware": 560,
    # Sees 429/503 before the retry middleware (responses travel from high to low numbers).
    "spiders.middlewares.RetryAfterMiddleware": 555,
}
ITEM_PIPELINES = {"spiders.pipelines.StagingPipeline": 300}

TELNETCONSOLE_ENABLED = False
# Scrapy 2.19's remote control runs Python sent to a local HTTP port of every crawl: nothing a
# scheduled crawl needs. Left out of the base extensions, not just switched off: a crawler loads
# every listed extension's class to read its settings, and this one brings aiohttp (~0.2 s).
REMOTE_CONTROL_ENABLED = False
EXTENSIONS_BASE = {
    path: order
    for path, order in _scrapy_defaults.EXTENSIONS_BASE.items()
    if path != "scrapy.extensions.remote_control.RemoteControl"
}
LOG_LEVEL = "INFO"


def crawl_overrides(
    delay: float,
    per_host: int,
    timeout: float,
    request_timeout: float = DOWNLOAD_TIMEOUT,
    max_bytes: int = DOWNLOAD_MAXSIZE,
) -> dict[str, Any]:
    """Settings for one crawl from the operator's knobs.

    Args:
        delay: seconds between requests to one host (0 on loopback test sites).
        per_host: parallel requests per host.
        timeout: seconds after which the crawl closes itself and reports what it has.
        request_timeout: seconds one request may take.
        max_bytes: the largest response body accepted (after decompression).
    """
    return {
        "DOWNLOAD_DELAY": delay,
        # AutoThrottle starts at its own delay and never goes below DOWNLOAD_DELAY.
        "AUTOTHROTTLE_START_DELAY": max(delay, 0.05) if delay < AUTOTHROTTLE_START_DELAY else delay,
        "CONCURRENT_REQUESTS_PER_DOMAIN": per_host,
        "CLOSESPIDER_TIMEOUT": timeout,
        "DOWNLOAD_TIMEOUT": request_timeout,
        "DOWNLOAD_MAXSIZE": max_bytes,
        "DOWNLOAD_WARNSIZE": min(DOWNLOAD_WARNSIZE, max_bytes),
    }
