"""The real labelled news (../shared/labelled), or a skip when it is not beside the checkout."""

from __future__ import annotations

from pathlib import Path

import pytest

from training.labelled import DEFAULT_FOLDER


@pytest.fixture
def labelled() -> Path:
    """../shared/labelled, or skip the test when it is absent."""
    if not DEFAULT_FOLDER.is_dir():
        pytest.skip("../shared/labelled is not available")
    return DEFAULT_FOLDER
