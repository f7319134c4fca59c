"""The server's memory with and without the sentence encoder (`make bench-memory`).

    python benchmarks/bench_memory.py [--encoder on|off] [--kb knowledge]

Starts `balcao serve` on the shipped knowledge base with a fresh SQLite file in a
temporary folder, waits for /health, sends three messages (en, pt, es) through the REST
channel, then reads the server's VmRSS and VmHWM from /proc/PID/status, as #17's bar
("memory with the encoder loaded") counts them.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MESSAGES = (
    ("en", "where is my order?"),
    ("pt", "quanto custa o envio para Portugal?"),
    ("es", "quiero devolver un producto"),
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of `pid`, in MiB."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(value.split()[0]) // 1024
    return found


def post(port: int, path: str, body: dict[str, object]) -> object:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        json.dumps(body).encode(),
        {"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encoder", default="on", choices=("on", "off"))
    parser.add_argument("--kb", type=Path, default=ROOT / "knowledge")
    args = parser.parse_args(argv)
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        env = dict(os.environ, BALCAO_ENCODER=args.encoder)
        command = [sys.executable, "-m", "bot", "serve", "--db", f"{folder}/bench.db",
                   "--kb", str(args.kb), "--port", str(port), "--log-level", "warning"]  # fmt: skip
        started = time.perf_counter()
        server = subprocess.Popen(command, cwd=ROOT, env=env)
        try:
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5):
                        break
                except (urllib.error.URLError, ConnectionError):
                    if server.poll() is not None or time.perf_counter() - started > 300:
                        print("bench_memory: the server did not start", file=sys.stderr)
                        return 2
                    time.sleep(0.2)
            ready = time.perf_counter() - started
            for i, (language, text) in enumerate(MESSAGES):
                body = {"sender": f"bench-{i}", "message": text, "metadata": {"language": language}}
                post(port, "/webhooks/rest/webhook", body)
            time.sleep(1.0)
            figures = status(server.pid)
        finally:
            server.terminate()
            server.wait(30)
    print(
        f"encoder {args.encoder}: ready in {ready:.1f} s; after {len(MESSAGES)} messages "
        f"VmRSS {figures['VmRSS']} MiB, peak (VmHWM) {figures['VmHWM']} MiB"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
