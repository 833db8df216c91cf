"""prefect.yaml: every entrypoint is a flow, every schedule states its time zone."""

from __future__ import annotations

import importlib
from pathlib import Path

import yaml
from prefect import Flow

REPO = Path(__file__).resolve().parents[2]


def test_entrypoints_resolve_to_flows_and_schedules_are_in_seoul_time():
    spec = yaml.safe_load((REPO / "prefect.yaml").read_text(encoding="utf-8"))
    names = set()
    for deployment in spec["deployments"]:
        path, _, attribute = deployment["entrypoint"].partition(":")
        module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
        assert isinstance(getattr(module, attribute), Flow), deployment["name"]
        assert all(s["timezone"] == "Asia/Seoul" for s in deployment["schedules"])
        names.add(deployment["name"])
    assert names == {"ingest-every-6h", "weekly-digest-monday"}
    digest = next(d for d in spec["deployments"] if d["name"] == "weekly-digest-monday")
    assert digest["schedules"][0]["cron"] == "0 8 * * 1"  # Mondays 08:00
