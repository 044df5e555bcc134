"""PostgreSQL by URL: the same migrations and pipeline against a real PostgreSQL server started for the test."""

import getpass
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.config import load_settings
from app.models import QuoteRow
from app.services import build_services

pytestmark = pytest.mark.slow  # a real PostgreSQL server

BIN_DIRS = sorted(glob.glob("/usr/lib/postgresql/*/bin"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def as_db_user(args: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    if not BIN_DIRS:
        pytest.fail("PostgreSQL is not installed; `make test` installs it (Debian package postgresql)")
    bin_dir = Path(BIN_DIRS[-1])
    base = Path(tempfile.mkdtemp(prefix="fabkiosk-pg-"))  # outside pytest's private folder: the server user must enter
    data = base / "data"
    user = "postgres" if os.geteuid() == 0 else getpass.getuser()
    if os.geteuid() == 0:
        shutil.chown(base, user="postgres")
    initdb = subprocess.run(
        as_db_user([str(bin_dir / "initdb"), "-D", str(data), "-U", user, "-A", "trust"]),
        capture_output=True,
        text=True,
    )
    assert initdb.returncode == 0, initdb.stderr
    port = free_port()
    server = subprocess.Popen(
        as_db_user([str(bin_dir / "postgres"), "-D", str(data), "-h", "127.0.0.1", "-p", str(port), "-k", str(base)]),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            ready = subprocess.run(
                [str(bin_dir / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)], capture_output=True
            )
            if ready.returncode == 0:
                break
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail("PostgreSQL did not start")
            time.sleep(0.2)
        yield f"postgresql+psycopg://{user}@127.0.0.1:{port}/postgres"
    finally:
        server.terminate()
        server.wait(timeout=30)
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
