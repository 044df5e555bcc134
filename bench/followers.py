"""How many phones can follow running jobs on one fabkiosk server process.

Starts the real server (bench/followers_server.py) with four simulated printers each running a keychain job at
twice real speed, then opens N phone pages the way a browser does (GET the page, then a socket.io connection
with the page's own client id, acknowledging messages every 3 s) for N = 50, 200, 500. For each N it prints the
server's memory per follower, its event-loop lag (p50/p99 of a 10 ms sleep), its CPU and the bytes per second
each follower receives. Target: 500 followers at p99 lag <= 100 ms and <= 0.3 MB each, on a 2-core machine.
The followers run in this process, so they share the two cores with the server: the figures are pessimistic.

Run: .venv/bin/python -m bench.followers [N ...]
"""

from __future__ import annotations

import ast
import asyncio
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import socketio

ROOT = Path(__file__).parent.parent
PRINTERS = 4
SPEED = 2
WINDOW_S = 20.0
SETTLE_S = 5.0
TARGET_P99_MS = 100.0
TARGET_MB = 0.3
QUERY = re.compile(r"query: (\{.*?\}),\s*\n")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def machines_file(folder: Path) -> Path:
    example = (ROOT / "assets" / "machines.example.toml").read_text()
    printer = example.split("\n[[machine]]")[1]  # the first machine: the demo printer
    blocks = [
        printer.replace('"printer-1"', f'"printer-{i}"').replace('"Printer 1"', f'"Printer {i}"')
        for i in range(1, PRINTERS + 1)
    ]
    path = folder / "machines.toml"
    path.write_text("".join("\n[[machine]]" + b.replace("speed = 10", f"speed = {SPEED}") for b in blocks))
    return path


class Follower:
    """One phone page: the page's HTML over HTTP, then its live updates over socket.io."""

    def __init__(self, base: str, link: str, http: aiohttp.ClientSession) -> None:
        self.base, self.link, self.http = base, link, http
        self.sio = socketio.AsyncClient(reconnection=False)
        self.bytes = 0
        self.next_message_id = 0
        self.client_id = ""
        self.sio.on("*", self._message)

    async def _message(self, event: str, data: object) -> None:
        self.bytes += len(json.dumps(data)) + len(event)
        if isinstance(data, dict) and isinstance(data.get("_id"), int):
            self.next_message_id = max(self.next_message_id, data["_id"] + 1)

    async def open(self) -> None:
        async with self.http.get(self.base + self.link + "?lang=en") as response:
            html = await response.text()
        self.bytes += len(html)
        found = QUERY.search(html)
        assert found, "the page carries no socket.io query"
        query = ast.literal_eval(found.group(1))  # the page writes it as a Python dict
        self.client_id = query["client_id"]
        self.next_message_id = query["next_message_id"]
        query |= {"tab_id": str(uuid.uuid4()), "document_id": str(uuid.uuid4()), "old_tab_id": ""}
        await self.sio.connect(
            f"{self.base}?{urlencode({k: str(v).lower() if isinstance(v, bool) else v for k, v in query.items()})}",
            socketio_path="/_nicegui_ws/socket.io",
            transports=["websocket"],
            wait_timeout=60,
        )

    async def ack(self) -> None:
        if self.sio.connected:
            await self.sio.emit("ack", {"client_id": self.client_id, "next_message_id": self.next_message_id})

    async def close(self) -> None:
        await self.sio.disconnect()


def server_stats(base: str) -> dict[str, object]:
    with urllib.request.urlopen(base + "/bench/stats", timeout=30) as response:
        return dict(json.loads(response.read()))


async def measure(base: str, links: list[str], count: int, baseline_kb: int) -> dict[str, float]:
    async with aiohttp.ClientSession() as http:
        followers = [Follower(base, links[i % len(links)], http) for i in range(count)]
        for start in range(0, count, 25):  # people open pages in waves, not all in the same millisecond
            await asyncio.gather(*(f.open() for f in followers[start : start + 25]))
        acking = True

        async def ack_every_3_s() -> None:
            while acking:
                await asyncio.sleep(3)
                await asyncio.gather(*(f.ack() for f in followers))

        acks = asyncio.create_task(ack_every_3_s())
        await asyncio.sleep(SETTLE_S)
        start_stats = server_stats(base)
        start_bytes = sum(f.bytes for f in followers)
        await asyncio.sleep(WINDOW_S)
        end_stats = server_stats(base)
        received = sum(f.bytes for f in followers) - start_bytes
        connected = sum(f.sio.connected for f in followers)
        acking = False
        await acks
        await asyncio.gather(*(f.close() for f in followers))
    lag = sorted(end_stats["lag"])  # type: ignore[arg-type]
    seconds = float(end_stats["at"]) - float(start_stats["at"])  # type: ignore[arg-type]
    return {
        "followers": count,
        "connected": connected,
        # against the server before any follower came: memory freed by earlier rows and reused does not flatter
        "mb_each": (int(end_stats["rss_kb"]) - baseline_kb) / 1024 / count,  # type: ignore[call-overload]
        "p50_ms": 1000 * statistics.median(lag),
        "p99_ms": 1000 * lag[int(0.99 * (len(lag) - 1))],
        "cpu_pct": 100 * (float(end_stats["cpu_s"]) - float(start_stats["cpu_s"])) / seconds,  # type: ignore[arg-type]
        "bytes_s_each": received / WINDOW_S / count,
    }


def main(counts: list[int]) -> None:
    folder = Path(tempfile.mkdtemp(prefix="fabkiosk-followers-"))
    links_file = folder / "links.json"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.followers_server",
            str(folder / "data"),
            str(machines_file(folder)),
            str(port),
            str(links_file),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(folder / "server.log", "wb"),  # noqa: SIM115 - the server's own log, kept with its data
    )
    try:
        deadline = time.monotonic() + 180
        while not links_file.exists():
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the server did not start its jobs; see {folder / 'server.log'}")
            time.sleep(0.5)
        links = json.loads(links_file.read_text())
        baseline_kb = int(server_stats(base)["rss_kb"])  # type: ignore[call-overload]
        print(f"{len(links)} keychain jobs running at {SPEED}x real speed; {WINDOW_S:.0f} s measured per row")
        header = ("followers", "connected", "MB each", "lag p50", "lag p99", "CPU %", "B/s each")
        print(" ".join(f"{h:>9}" for h in header))
        for count in counts:
            row = asyncio.run(measure(base, links, count, baseline_kb))
            print(
                f"{row['followers']:>9.0f} {row['connected']:>9.0f} {row['mb_each']:>8.3f} {row['p50_ms']:>6.1f}ms"
                f" {row['p99_ms']:>6.1f}ms {row['cpu_pct']:>6.0f} {row['bytes_s_each']:>9.0f}"
            )
            time.sleep(8)  # let the server drop the closed pages before the next row
        print(f"target: 500 followers at p99 lag <= {TARGET_P99_MS:.0f} ms and <= {TARGET_MB} MB each")
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    main([int(n) for n in sys.argv[1:]] or [50, 200, 500])
