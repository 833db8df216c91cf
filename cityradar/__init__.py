"""cityradar: smart-city news and policy updates, tagged by city and focus area, in DuckDB."""

__version__ = "0.1.0"
USER_AGENT = (
    f"cityradar/{__version__} (+https://github.com/cityradar/cityradar; smart-city news monitor)"
)
