"""Run `tracepass serve` as a real process for tests that need one (races, crashes, browser)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

CLI = [sys.executable, "-m", "tracepass.cli"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ServerProcess:
    base_url: str
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def cli(self, *args: str) -> str:
        result = subprocess.run(
            [*CLI, *args], env=self.env, capture_output=True, text=True, timeout=120, check=True
        )
        return result.stdout

    def create_workspace(self, name: str = "Acme", plan: str = "enterprise") -> dict[str, str]:
        return json.loads(self.cli("workspace", "create", name, "--plan", plan, "--json"))

    def start(self, workers: int = 1) -> None:
        port = self.base_url.rsplit(":", 1)[1]
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [*CLI, "serve", "--port", port, "--workers", str(workers)],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.base_url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("server did not become ready in 60 s")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            self.process.wait(timeout=30)
        self.process = None


@contextmanager
def running_server(
    tmp_path: Path, database_url: str | None = None, workers: int = 1
) -> Iterator[ServerProcess]:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "TRACEPASS_DATABASE_URL": database_url or f"sqlite:///{tmp_path / 'server.db'}",
        "TRACEPASS_DATA_DIR": str(tmp_path / "data"),
        "TRACEPASS_PUBLIC_URL": base_url,
        "TRACEPASS_LOG_LEVEL": "WARNING",
    }
    server = ServerProcess(base_url, env, tmp_path / "server.log")
    server.start(workers)
    try:
        yield server
    finally:
        server.kill(signal.SIGTERM)
