"""``citycheckup serve`` as a real process on a loopback port, stopped by the test."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from citycheckup.cli import app


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_with_token_file(
    private_store: Path, tmp_path: Path, api_store: dict[str, Any]
) -> None:
    token = tmp_path / "token"
    token.write_text("file-token\n")
    port = _free_port()
    cli = str(Path(sys.executable).with_name("citycheckup"))
    log = tmp_path / "serve.log"
    out = log.open("wb")
    proc = subprocess.Popen(
        [
            cli,
            "serve",
            "--store",
            str(private_store),
            "--port",
            str(port),
            "--token-file",
            str(token),
        ],
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                health = httpx.get(f"{base}/api/v1/health", timeout=2).json()
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail(
                        f"server did not start: {proc.stdout.read().decode() if proc.stdout else ''}"
                    )
                time.sleep(0.2)
        assert health["writable"] is True and health["runs"] == 5
        rid = api_store["ids"]["index"]
        assert httpx.patch(f"{base}/api/v1/runs/{rid}", json={"label": "x"}).status_code == 401
        r = httpx.patch(
            f"{base}/api/v1/runs/{rid}",
            json={"label": "served"},
            headers={"Authorization": "Bearer file-token"},
        )
        assert r.status_code == 200 and r.json()["label"] == "served"
        page = httpx.get(f"{base}/")
        assert page.status_code == 200 and "/static/app.js" in page.text
        assert httpx.get(f"{base}/static/app.js").status_code == 200
        assert httpx.get(f"{base}/static/../_app.py").status_code == 404
    finally:
        proc.terminate()
        proc.wait(20)
        out.close()


def test_serve_refuses_an_empty_token_file(tmp_path: Path) -> None:
    (tmp_path / "token").write_text("  \n")
    r = CliRunner().invoke(
        app,
        ["serve", "--store", str(tmp_path / "s.duckdb"), "--token-file", str(tmp_path / "token")],
    )
    assert r.exit_code == 2 and "is empty" in r.output
