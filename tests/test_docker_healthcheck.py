"""docker/omnivox-healthcheck.py, the omnivox image's health check, against a real HTTP server."""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

HEALTHCHECK = Path(__file__).resolve().parents[1] / "docker/omnivox-healthcheck.py"


class _Health(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:  # noqa: N802
        self.send_response(self.status if self.path == "/healthz" else 404)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def health_server() -> Iterator[http.server.HTTPServer]:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _healthcheck(bind: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OMNIVOX_HTTP_BIND": bind}
    return subprocess.run(
        [sys.executable, str(HEALTHCHECK)], env=env, capture_output=True, text=True, timeout=30
    )


def test_healthcheck_script_follows_healthz(health_server: http.server.HTTPServer) -> None:
    port = health_server.server_address[1]
    assert _healthcheck(f"0.0.0.0:{port}").returncode == 0
    _Health.status = 503
    try:
        failed = _healthcheck(f"0.0.0.0:{port}")
    finally:
        _Health.status = 200
    assert failed.returncode == 1 and "503" in failed.stderr
    health_server.shutdown()
    health_server.server_close()
    closed = _healthcheck(f"127.0.0.1:{port}")
    assert closed.returncode == 1 and f"127.0.0.1:{port}/healthz" in closed.stderr
