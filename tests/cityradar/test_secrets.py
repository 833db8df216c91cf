"""Secret placeholders: expanded only where a request is built, redacted from everything written."""

from __future__ import annotations

import pytest

from cityradar import secrets
from cityradar.secrets import MissingSecret, Redactor, bad_placeholder, expand, placeholders

KEY = "aB3+xY/9zz=="  # a data.go.kr-style key: characters URLs encode


def test_placeholders_are_found_and_expanded_from_the_environment():
    url = "https://apis.data.go.kr/1611000/news?serviceKey=${CITYRADAR_SECRET_DATA_GO_KR}&n=10"
    assert placeholders(url) == ["CITYRADAR_SECRET_DATA_GO_KR"]
    assert expand(url, {"CITYRADAR_SECRET_DATA_GO_KR": KEY}) == (
        f"https://apis.data.go.kr/1611000/news?serviceKey={KEY}&n=10"
    )
    assert expand("no secret here", {}) == "no secret here"


def test_a_missing_secret_is_named():
    with pytest.raises(MissingSecret, match="secret CITYRADAR_SECRET_TOKEN is not set"):
        expand("Bearer ${CITYRADAR_SECRET_TOKEN}", {})


@pytest.mark.parametrize("text", ["${HOME}", "${CITYRADAR_SECRET_}", "${cityradar_secret_x}"])
def test_only_cityradar_secret_variables_may_be_named(text):
    assert "must name a variable CITYRADAR_SECRET_<NAME>" in bad_placeholder(text)


def test_every_spelling_a_url_gives_the_value_is_redacted():
    redact = Redactor({"CITYRADAR_SECRET_KEY": KEY})
    for spelling in (KEY, "aB3%2BxY%2F9zz%3D%3D", "ab3%2bxy%2f9zz%3d%3d", "aB3%2BxY%2F9zz%3D%3D"):
        assert redact(f"GET https://x.kr/a?serviceKey={spelling}&n=1") == (
            "GET https://x.kr/a?serviceKey=${CITYRADAR_SECRET_KEY}&n=1"
        )
    assert redact("nothing to hide") == "nothing to hide"


def test_redaction_is_switched_on_per_process(monkeypatch):
    monkeypatch.setattr(secrets, "_active", Redactor({}))
    assert secrets.redact(f"key={KEY}") == f"key={KEY}"
    secrets.keep_out_of_writes(["CITYRADAR_SECRET_KEY"], {"CITYRADAR_SECRET_KEY": KEY})
    assert secrets.redact(f"key={KEY}") == "key=${CITYRADAR_SECRET_KEY}"
