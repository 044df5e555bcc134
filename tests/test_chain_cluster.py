"""Our own PostgreSQL clusters (tests, the demo, the benchmark): a folder the database user cannot enter is named
with what to do, instead of initdb's bare "Permission denied"."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.chain.cluster import Cluster, ClusterError


@pytest.mark.skipif(os.geteuid() != 0, reason="as another user the server runs as that user, who can enter it")
def test_a_folder_the_database_user_cannot_enter_is_refused_with_what_to_do(tmp_path: Path) -> None:
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    with pytest.raises(ClusterError, match=r"chmod o\+x"):
        Cluster(private / "cluster").create()
