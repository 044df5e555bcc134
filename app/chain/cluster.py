"""A PostgreSQL cluster of our own on a loopback port, set up for logical replication: for the tests, `make
chain-demo` and bench/chain.py. (A store's real database is whatever `database_url` names.)"""

from __future__ import annotations

import getpass
import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

BIN_DIRS = sorted(glob.glob("/usr/lib/postgresql/*/bin"))


class ClusterError(RuntimeError):
    """The cluster could not be created or started; the message says what PostgreSQL answered."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def scratch_folder(prefix: str = "fabkiosk-chain-") -> Path:
    """A temporary folder the database user may enter (a test's own temporary folder is private to root)."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    folder.chmod(0o755)
    return folder


def _as_db_user(args: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@dataclass
class Cluster:
    """One PostgreSQL server: its data folder under `folder`, listening on 127.0.0.1 only.

    `slot_keep_mb` is `max_slot_wal_keep_size`: a replication slot whose peer stays away past that much
    write-ahead log is given up (and the peer must resync), so an absent peer cannot fill the disk.
    """

    folder: Path
    name: str = "fabkiosk"
    port: int = 0
    slot_keep_mb: int = 1024
    wal_sender_timeout_s: int = 30
    settings: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    @property
    def bin_dir(self) -> Path:
        if not BIN_DIRS:
            raise ClusterError("PostgreSQL is not installed (Debian package postgresql)")
        return Path(BIN_DIRS[-1])

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def user(self) -> str:
        return "postgres" if os.geteuid() == 0 else getpass.getuser()

    @property
    def url(self) -> str:
        """SQLAlchemy's URL for `database_url`."""
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/postgres"

    def create(self) -> Cluster:
        """initdb (once: an existing data folder is kept) and the settings replication needs."""
        self.folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.folder, user="postgres")
        if not (self.data / "PG_VERSION").exists():
            done = subprocess.run(
                _as_db_user([str(self.bin_dir / "initdb"), "-D", str(self.data), "-U", self.user, "-A", "trust"]),
                capture_output=True,
                text=True,
            )
            if done.returncode != 0:
                raise ClusterError(f"initdb failed: {done.stderr.strip()}")
        if not self.port:
            self.port = free_port()
        conf = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.folder}'",
            "cluster_name": f"'{self.name}'",
            "wal_level": "logical",
            "max_slot_wal_keep_size": f"'{self.slot_keep_mb}MB'",
            "wal_sender_timeout": f"'{self.wal_sender_timeout_s}s'",
            "max_replication_slots": "40",
            "max_wal_senders": "40",
            "max_logical_replication_workers": "40",
            "max_worker_processes": "48",
            "fsync": "off",  # our own clusters hold tests and demos: speed over crash safety
            **self.settings,
        }
        (self.data / "fabkiosk.conf").write_text("".join(f"{k} = {v}\n" for k, v in conf.items()))
        main_conf = self.data / "postgresql.conf"
        text = main_conf.read_text()
        if "include_if_exists = 'fabkiosk.conf'" not in text:
            main_conf.write_text(text + "\ninclude_if_exists = 'fabkiosk.conf'\n")
        return self

    def start(self, timeout: float = 60.0) -> Cluster:
        if self.process is not None and self.process.poll() is None:
            return self
        log = open(self.folder / "postgres.log", "ab")  # noqa: SIM115 - the server writes it while it runs
        self.process = subprocess.Popen(
            _as_db_user([str(self.bin_dir / "postgres"), "-D", str(self.data)]),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while not self.ready():
            if self.process.poll() is not None or time.monotonic() > deadline:
                tail = (self.folder / "postgres.log").read_text(errors="replace")[-2000:]
                raise ClusterError(f"PostgreSQL on port {self.port} did not start:\n{tail}")
            time.sleep(0.1)
        return self

    def ready(self) -> bool:
        done = subprocess.run(
            [str(self.bin_dir / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)], capture_output=True
        )
        return done.returncode == 0

    def stop(self, timeout: float = 60.0) -> None:
        """A fast shutdown (SIGINT to the postmaster: sessions are ended, then a clean checkpoint), waiting for
        the server to exit. The signal goes to the postmaster itself: runuser in between would end it by SIGKILL
        after its own grace period."""
        if self.process is None:
            return
        if self.process.poll() is None:
            pid_file = self.data / "postmaster.pid"
            try:
                os.kill(int(pid_file.read_text().split()[0]), signal.SIGINT)
            except (OSError, ValueError, IndexError):
                self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)
