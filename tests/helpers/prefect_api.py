"""What a flow run published, read back from the Prefect API."""

from __future__ import annotations

import json
from uuid import UUID


def artifacts_of(run_id: str) -> list:
    """The artifacts a flow run published, read back from the Prefect API."""
    # imported here: a test module that merely imports this file need not load Prefect
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    with get_client(sync_client=True) as client:
        return client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[UUID(run_id)]))
        )


def table_of(run_id: str, key: str) -> list[dict]:
    """The rows of the table artifact ``key`` the run published."""
    (artifact,) = [a for a in artifacts_of(run_id) if a.key == key]
    data = artifact.data
    return json.loads(data) if isinstance(data, str) else data
