"""Load and fault tests on loopback, bounded in count and time.

The in-suite load is 2,000 POSTs from 50 concurrent clients; the full 10,000 run is
in ``benchmarks/bench_hotline.py``. Nothing here asserts on timing.
"""

from __future__ import annotations

import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from citycheckup.hotline import HotlineStore
from citycheckup.hotline.loadgen import run_load
from tests.hotline._helpers import NOISE

# bounded: a hung server or client fails the test instead of blocking the suite
pytestmark = pytest.mark.timeout(300)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(db_url: str, port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from citycheckup.cli import main; main()",
            "-q",
            "hotline",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--database",
            db_url,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
    proc.kill()
    raise RuntimeError("server did not start within 30 s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _markers(db: Path) -> Counter[str]:
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        orphans = con.execute(
            "SELECT count(*) FROM hotline_requests r WHERE NOT EXISTS "
            "(SELECT 1 FROM hotline_events e WHERE e.request_id = r.id AND e.action='receive')"
        ).fetchone()[0]
        assert orphans == 0  # a request is never stored without its receive event
        return Counter(r[0] for r in con.execute("SELECT description FROM hotline_requests"))
    finally:
        con.close()


def _form(key: str):  # type: ignore[no-untyped-def]
    return lambda i: (
        "/open311/v2/requests.json",
        {**NOISE, "api_key": key, "description": f"load marker {i}"},
    )


def _prepare(tmp_path: Path, catalogue) -> tuple[Path, str, str]:  # type: ignore[no-untyped-def]
    db = tmp_path / "load.db"
    url = f"sqlite:///{db}"
    st = HotlineStore(url, catalogue=catalogue)
    key = st.create_key("submit", label="load")
    st.close()
    return db, url, key


def test_concurrent_posts_are_stored_exactly_once(tmp_path, catalogue) -> None:  # type: ignore[no-untyped-def]
    db, url, key = _prepare(tmp_path, catalogue)
    port = _free_port()
    proc = _start(url, port)
    try:
        res = run_load(f"http://127.0.0.1:{port}", 2000, concurrency=50, make=_form(key))
    finally:
        _stop(proc)
    assert not res.failed, res.failed[:5]
    assert len(res.acked) == 2000
    ids = [int(body[0]["service_request_id"]) for _, body in res.acked]  # type: ignore[index]
    assert len(set(ids)) == 2000
    stored = _markers(db)
    assert all(stored[f"load marker {i}"] == 1 for i in range(2000))
    assert sum(stored.values()) == 2000


def test_sigkill_mid_load_loses_no_acknowledged_request(tmp_path, catalogue) -> None:  # type: ignore[no-untyped-def]
    """SIGKILL the server mid-load, restart it; clients resend unanswered calls with the same
    Idempotency-Key. Every request ends up stored exactly once; none is lost or doubled."""
    db, url, key = _prepare(tmp_path, catalogue)
    port = _free_port()
    proc = _start(url, port)
    n, result = 3000, {}

    def make(i: int):  # type: ignore[no-untyped-def]
        path, form = _form(key)(i)
        return path, form, {"Idempotency-Key": f"load-{i}"}

    def load() -> None:
        result["res"] = run_load(
            f"http://127.0.0.1:{port}",
            n,
            concurrency=20,
            make=make,
            stop_after=150,
            retries=1500,
            retry_wait=0.02,
        )

    t = threading.Thread(target=load)
    t.start()
    try:
        # kill once a few hundred requests are in (read-only look at the WAL database)
        con = sqlite3.connect(db)
        while con.execute("SELECT count(*) FROM hotline_requests").fetchone()[0] < 400:
            time.sleep(0.02)
        con.close()
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        stored_at_kill = _markers(db)  # consistent right after the kill
        proc = _start(url, port)  # restart on the same port; clients reconnect and resend
        t.join(timeout=200)
    finally:
        _stop(proc)
    res = result["res"]
    assert 400 <= sum(stored_at_kill.values()) < n
    assert res.retried > 0, "the kill should have interrupted some calls"
    assert not res.failed, res.failed[:5]
    acked = {i for i, _ in res.acked}
    assert acked == set(range(n))
    stored = _markers(db)
    # every request is present exactly once: nothing lost, nothing doubled by the resends
    assert all(stored[f"load marker {i}"] == 1 for i in range(n))
    assert sum(stored.values()) == n
    # requests acknowledged before the kill were already on disk when it happened
    ids = {i: int(body[0]["service_request_id"]) for i, body in res.acked}  # type: ignore[index]
    assert len(set(ids.values())) == n
