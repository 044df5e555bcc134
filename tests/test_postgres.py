"""PostgreSQL by URL: the same migrations and pipeline against a real PostgreSQL server started for the test."""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.chain.cluster import BIN_DIRS, Cluster, scratch_folder
from app.config import load_settings
from app.models import QuoteRow
from app.services import build_services


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    if not BIN_DIRS:
        pytest.fail("PostgreSQL is not installed; `make test` installs it (Debian package postgresql)")
    base = scratch_folder("fabkiosk-pg-")  # outside pytest's private folder: the server user must enter
    cluster = Cluster(base / "cluster").create().start()
    try:
        yield cluster.url
    finally:
        cluster.stop()
        shutil.rmtree(base, ignore_errors=True)


def test_quotes_are_stored_in_postgresql(postgres_url: str, tmp_path: Path) -> None:
    settings = load_settings(None, data_dir=str(tmp_path / "data"), database_url=postgres_url)
    services = build_services(settings)
    result = services.pipeline.quote_template("phone_stand", {}, "printer-1")
    with services.sessions() as session:
        row = session.get(QuoteRow, result.quote_id)
        assert row is not None and row.total == result.quote.total
    build_services(settings)  # a second start migrates nothing and keeps the data
    with services.sessions() as session:
        assert session.get(QuoteRow, result.quote_id) is not None
