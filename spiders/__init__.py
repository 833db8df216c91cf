"""Scrapy spiders. Each crawl runs in a child process of its own (``spiders.process``) and writes to staging."""

# kind in sources.yaml -> spider class path; cityradar.registry.KINDS_WITH_SPIDER mirrors the keys
SPIDER_CLASSES: dict[str, str] = {
    "feed": "spiders.feed.FeedSpider",
    "html": "spiders.html_list.HtmlListSpider",
    "sitemap": "spiders.sitemap.SitemapSpider",
}
