"""Lakes of both backends for parity tests: the same test body must pass on each."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from osaa_lib.config import Settings
from osaa_lib.lake import Lake, open_lake


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def backend_settings(
    request: pytest.FixtureRequest, make_settings: Callable[..., Settings]
) -> Callable[..., Settings]:
    """A settings factory for the local lake or for S3 (SeaweedFS)."""
    if request.param == "local":
        return make_settings
    return request.getfixturevalue("s3_settings")


@pytest.fixture
def any_lake(backend_settings: Callable[..., Settings]) -> Lake:
    return open_lake(backend_settings())
