"""The SMTP password reaches the mail server and nothing else: not the logs, the run's artifacts,
the archived mail, the delivery records or an error message."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from uuid import UUID

import duckdb
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from tests.helpers.network import free_port
from tests.helpers.prefect_api import artifacts_of

PASSWORD = "Zebra-Staple-7391-secret"
USER = "radar-bot"


class _Inbox:
    def __init__(self) -> None:
        self.envelopes: list = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 OK"


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok)


@pytest.fixture
def auth_smtp():
    inbox = _Inbox()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=_authenticator,
        auth_required=True,
        auth_require_tls=False,  # loopback only; the test is about where the secret goes
    )
    controller.start()
    try:
        yield SimpleNamespace(host="127.0.0.1", port=controller.port, inbox=inbox)
    finally:
        controller.stop()


def _logs_of(run_id: str) -> str:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    with get_client(sync_client=True) as client:
        logs = client.read_logs(
            log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[UUID(run_id)]))
        )
    return "\n".join(log.message for log in logs)


def _everything_written(folder: Path, db: Path) -> str:
    files = "\n".join(
        p.read_bytes().decode("utf-8", "replace") for p in folder.rglob("*") if p.is_file()
    )
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("select * from core.digest_deliveries").fetchall()
    return files + "\n" + repr(rows)


@pytest.mark.parametrize("password", [PASSWORD, "wrong-" + PASSWORD], ids=["accepted", "refused"])
def test_the_smtp_password_goes_to_the_server_only(
    ingested, auth_smtp, monkeypatch, tmp_path, capsys, password
):
    from flows.weekly_digest import DigestNotDelivered, weekly_digest

    monkeypatch.setenv("CITYRADAR_SMTP_HOST", auth_smtp.host)
    monkeypatch.setenv("CITYRADAR_SMTP_PORT", str(auth_smtp.port))
    monkeypatch.setenv("CITYRADAR_SMTP_USER", USER)
    monkeypatch.setenv("CITYRADAR_SMTP_PASSWORD", password)
    monkeypatch.setenv("CITYRADAR_SMTP_ATTEMPTS", "1")
    monkeypatch.setenv("CITYRADAR_SMTP_TIMEOUT", "3")
    monkeypatch.setenv("CITYRADAR_DIGEST_TO", "audit@cityradar.example")
    db = tmp_path / "w.duckdb"
    db.write_bytes(ingested.db_path.read_bytes())  # deliveries recorded in a copy
    if password == PASSWORD:
        result = weekly_digest(week=str(ingested.week), db_path=db, out_dir=tmp_path, send=True)
        assert result.sent_to == ["audit@cityradar.example"]
        assert len(auth_smtp.inbox.envelopes) == 1
        run_id = result.run_id
    else:
        state = weekly_digest(
            week=str(ingested.week), db_path=db, out_dir=tmp_path, send=True, return_state=True
        )
        with pytest.raises(DigestNotDelivered, match="could not deliver"):
            state.result()
        assert auth_smtp.inbox.envelopes == []
        run_id = str(state.state_details.flow_run_id)
    seen = "\n".join(
        [
            _logs_of(run_id),
            "\n".join(str(a.data) for a in artifacts_of(run_id)),
            _everything_written(tmp_path, db),
            *capsys.readouterr(),
        ]
    )
    assert "audit@cityradar.example" in seen  # the places searched do hold the run's records
    assert PASSWORD not in seen
    assert "Zebra" not in seen
