"""`make chain-demo`: a head office and two stores (Köln and Leipzig) on this machine, each with its own
PostgreSQL cluster under data/chain-demo/ and its own server on its own port, the stores with simulated machines,
joined with the same `fabkiosk chain` commands staff use. Ctrl-C stops everything it started.

A fresh chain every run: the clusters' ports are chosen anew, and the links name them.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from app.chain.cluster import Cluster, ClusterError

STORES = {"koeln": ("Köln", "fabkiosk Köln Ehrenfeld"), "leipzig": ("Leipzig", "fabkiosk Leipzig Plagwitz")}
HQ_PORT, FIRST_STORE_PORT = 8080, 8081


def _port(preferred: int) -> int:
    """The preferred port when it is free on loopback, else any free one."""
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", preferred))
            return preferred
        except OSError:
            s.bind(("127.0.0.1", 0))
            return int(s.getsockname()[1])


def _config(folder: Path, cluster: Cluster, port: int, name: str, city: str, chain: str) -> Path:
    path = folder / "fabkiosk.toml"
    path.write_text(
        f'store_name = "{name}"\nport = {port}\ndata_dir = "{folder / "data"}"\ndatabase_url = "{cluster.url}"\n'
        f'[store]\ncity = "{city}"\n[chain]\n{chain}'
    )
    return path


def _fabkiosk(config: Path, *args: str) -> str:
    """A `fabkiosk` command as staff run it; its output, or the demo stops with what it said."""
    done = subprocess.run([sys.executable, "-m", "app", "--config", str(config), *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"fabkiosk {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def _stop_on_term(_signal: int, _frame: object) -> None:
    raise KeyboardInterrupt  # stopped like Ctrl-C: everything started is stopped in turn


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--folder", default="data/chain-demo", help="where the clusters and data live")
    args = parser.parse_args()
    base = Path(args.folder).resolve()
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    base.chmod(0o755)  # the database user must enter it
    clusters: list[Cluster] = []
    servers: list[subprocess.Popen[bytes]] = []
    signal.signal(signal.SIGTERM, _stop_on_term)
    try:
        print("Starting the head office's database…", flush=True)
        hq_cluster = Cluster(base / "hq", name="hq").create().start()
        clusters.append(hq_cluster)
        hq_port = _port(HQ_PORT)
        hq_config = _config(base / "hq", hq_cluster, hq_port, "fabkiosk head office", "Köln", 'role = "hq"\n')
        _fabkiosk(hq_config, "chain", "init-hq")
        addresses = [("head office", hq_port)]
        store_configs = []
        for i, (store, (city, name)) in enumerate(STORES.items()):
            print(f"Starting {name} ({city}) and joining it to the head office…", flush=True)
            cluster = Cluster(base / store, name=store).create().start()
            clusters.append(cluster)
            port = _port(FIRST_STORE_PORT + i)
            config = _config(base / store, cluster, port, name, city, f'store_id = "{store}"\n')
            printed = _fabkiosk(hq_config, "chain", "add-store", store, "--city", city, "--name", name)
            join = next(line.strip() for line in printed.splitlines() if line.strip().startswith("fabkiosk chain"))
            _fabkiosk(config, *shlex.split(join)[1:])
            store_configs.append(config)
            addresses.append((f"{name} ({city})", port))
        print("Starting the three servers…", flush=True)
        for config, extra in [(hq_config, ["serve", "--role", "hq"]), *[(c, ["serve"]) for c in store_configs]]:
            log = open(config.parent / "server.log", "ab")  # noqa: SIM115 - the server writes it while it runs
            servers.append(
                subprocess.Popen(
                    [sys.executable, "-m", "app", "--config", str(config), *extra], stdout=log, stderr=subprocess.STDOUT
                )
            )
            log.close()
        print("\nA head office and two stores are running:\n")
        for label, port in addresses:
            print(f"  {label:34} http://127.0.0.1:{port}/")
        print(f"\nLinks: .venv/bin/fabkiosk --config {hq_config} chain status")
        print(f"Head-office staff for /hq: .venv/bin/fabkiosk --config {hq_config} user add NAME --role hq")
        print(f"A store's staff for /staff: .venv/bin/fabkiosk --config {store_configs[0]} user add NAME --role staff")
        print(f"Logs and databases: {base}\nCtrl-C stops everything.")
        while all(server.poll() is None for server in servers):
            time.sleep(1)
        print("A server stopped; see its server.log. Stopping the rest.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopping the servers and the databases.")
        return 0
    except ClusterError as e:
        print(f"chain-demo: {e}", file=sys.stderr)
        return 1
    finally:
        for server in servers:
            if server.poll() is None:
                server.send_signal(signal.SIGINT)
        for server in servers:
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        for cluster in reversed(clusters):
            cluster.stop()


if __name__ == "__main__":
    raise SystemExit(main())
