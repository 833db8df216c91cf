"""`cityradar sources test` and `sources add` as an operator runs them, on pages served on 127.0.0.1."""

from __future__ import annotations

import yaml
from typer.testing import CliRunner

from cityradar.demo.server import Canned, SiteServer
from flows.cli import app
from tests.helpers.pages import board_page
from tests.helpers.paths import FIXTURES


def registry_with(tmp_path, **entry) -> str:
    path = tmp_path / "sources.yaml"
    base = {
        "id": "city_board",
        "name": "예시시 보도자료",
        "kind": "html",
        "url": "https://www.city.example.kr/news/list.do",
        "language": "ko",
        "country": "KR",
        "org_type": "city",
        "timezone": "Asia/Seoul",
    }
    path.write_text(yaml.safe_dump([{**base, **entry}], allow_unicode=True), encoding="utf-8")
    return str(path)


def test_a_saved_page_shows_the_rows_and_the_selectors_found(tmp_path):
    page = tmp_path / "list.html"
    page.write_bytes(board_page())
    sources = registry_with(tmp_path, selectors={"item": "table.old tbody tr"})
    result = CliRunner().invoke(
        app, ["sources", "test", "city_board", "--page", str(page), "--sources", sources]
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[1] == "selectors inferred:"
    assert "  item: 'ul.news > li.item'" in lines
    assert "  date: 'span.date'" in lines
    assert any(
        line.startswith("problem: list selector 'table.old tbody tr' matched no entry")
        for line in lines
    )
    assert "5 entries:" in lines
    assert (
        "  2026-11-11 00:00 +09:00  1번 보도자료: 스마트 버스정류장 확대 설치  (written '2026.11.11')"
        in lines
    )
    assert "https://www.city.example.kr/news/view.do?seq=101" in result.stdout


def test_a_page_fetched_with_the_sources_headers(tmp_path):
    with SiteServer([], {"/news/list.do": Canned(200, board_page())}) as server:
        sources = registry_with(
            tmp_path,
            url=f"{server.base_url}/news/list.do",
            headers={"Referer": "https://x.kr/"},
            user_agent="Mozilla/5.0 (test browser)",
        )
        result = CliRunner().invoke(app, ["sources", "test", "city_board", "--sources", sources])
        served = [r for r in server.requests if r.path == "/news/list.do"]
    assert result.exit_code == 0, result.output
    assert "5 entries:" in result.stdout
    assert served[0].headers.get("Referer") == "https://x.kr/"
    assert served[0].headers.get("User-Agent") == "Mozilla/5.0 (test browser)"


def test_a_configured_board_read_by_its_selectors(tmp_path):
    result = CliRunner().invoke(
        app,
        ["sources", "test", "sejong_press", "--page", str(FIXTURES / "boards/sejong_press.html")],
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1] == "selectors given:"
    assert "3 entries:" in result.stdout


def test_nothing_to_read_fails_with_one_line_and_a_hint(tmp_path):
    page = tmp_path / "empty.html"
    page.write_text("<html><body>점검 중</body></html>", encoding="utf-8")
    sources = registry_with(tmp_path)
    runner = CliRunner()
    empty = runner.invoke(
        app, ["sources", "test", "city_board", "--page", str(page), "--sources", sources]
    )
    assert empty.exit_code == 1
    assert "error: city_board: no entries (no board found on" in empty.stderr
    unknown = runner.invoke(app, ["sources", "test", "city_bord", "--sources", sources])
    assert unknown.exit_code == 2
    assert "error: no source 'city_bord'" in unknown.stderr
    assert "(close: city_board)" in unknown.stderr
    assert "Traceback" not in unknown.output + empty.output


def test_a_refused_fetch_is_one_plain_line(tmp_path):
    with SiteServer([], {"/news/list.do": Canned(403, b"forbidden")}) as server:
        sources = registry_with(tmp_path, url=f"{server.base_url}/news/list.do")
        result = CliRunner().invoke(app, ["sources", "test", "city_board", "--sources", sources])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: HTTP 403 Forbidden from http://127.0.0.1:")
    assert result.stderr.rstrip().endswith(
        "/news/list.do: refused (often the User-Agent or the client's country)"
    )
    assert "Traceback" not in result.output


def test_sources_add_proposes_a_board_that_sources_test_then_reads(tmp_path):
    registry = tmp_path / "sources.yaml"
    registry.write_text("# mine\n", encoding="utf-8")
    runner = CliRunner()
    with SiteServer([], {"/news/list.do": Canned(200, board_page())}) as server:
        added = runner.invoke(
            app,
            [
                "sources",
                "add",
                f"{server.base_url}/news/list.do",
                "--sources",
                str(registry),
                "--yes",
            ],
        )
        assert added.exit_code == 0, added.output
        assert "found html:" in added.stdout
        (entry,) = yaml.safe_load(registry.read_text(encoding="utf-8"))
        tested = runner.invoke(app, ["sources", "test", entry["id"], "--sources", str(registry)])
    assert entry["selectors"]["item"] == "ul.news > li.item"
    assert tested.exit_code == 0, tested.output
    assert tested.stdout.splitlines()[1] == "selectors given:"
    assert "5 entries:" in tested.stdout
