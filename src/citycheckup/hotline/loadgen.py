"""A small asyncio HTTP/1.1 load generator for the Open311 server (loopback tests).

It keeps one keep-alive connection per simulated client and costs a few tens of
microseconds per call, so that on a 2-core machine the server, not the client,
is measured. Only what the hotline server answers is supported (``Content-Length``
bodies).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import numpy as np

__all__ = ["LoadResult", "run_load"]


@dataclass
class LoadResult:
    """Outcome of a load run.

    Attributes
    ----------
    acked
        ``(index, response JSON)`` of every call answered with HTTP 200.
    failed
        ``(index, status or error text)`` of every other call (0 = no answer).
    latencies
        Seconds per answered call.
    seconds
        Wall time of the whole run.
    """

    acked: list[tuple[int, object]] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    retried: int = 0

    @property
    def rate(self) -> float:
        """Answered calls per second."""
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile_ms(self, q: float) -> float:
        """Latency percentile in milliseconds."""
        return float(np.percentile(self.latencies, q) * 1000) if self.latencies else float("nan")


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = 0
    for line in lines[1:]:
        if line.lower().startswith("content-length:"):
            length = int(line.split(":", 1)[1])
    body = await reader.readexactly(length) if length else b""
    return status, body


async def _run(
    url: str,
    n: int,
    concurrency: int,
    method: str,
    make: Callable[[int], Any],
    stop_after: float | None,
    retries: int,
    retry_wait: float,
) -> LoadResult:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    res = LoadResult()
    counter = iter(range(n))
    t_end = time.monotonic() + stop_after if stop_after else None

    async def worker() -> None:
        reader = writer = None
        for i in counter:
            if t_end is not None and time.monotonic() > t_end:
                return
            made = make(i)
            path, form = made[0], made[1]
            extra: dict[str, str] = made[2] if len(made) > 2 else {}
            body = urlencode(form).encode() if form is not None else b""
            req = (
                f"{method} {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                + (
                    "Content-Type: application/x-www-form-urlencoded\r\n"
                    if form is not None
                    else ""
                )
                + "".join(f"{k}: {v}\r\n" for k, v in extra.items())
                + f"Content-Length: {len(body)}\r\n\r\n"
            ).encode() + body
            for attempt in range(retries + 1):
                t0 = time.perf_counter()
                try:
                    if writer is None:
                        reader, writer = await asyncio.open_connection(host, port)
                    writer.write(req)
                    await writer.drain()
                    status, payload = await _read_response(reader)  # type: ignore[arg-type]
                except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                    if writer is not None:
                        writer.close()
                    reader = writer = None
                    if attempt == retries or (t_end is not None and time.monotonic() > t_end):
                        res.failed.append((i, f"0 {type(exc).__name__}"))
                        break
                    res.retried += 1
                    await asyncio.sleep(retry_wait)
                    continue
                res.latencies.append(time.perf_counter() - t0)
                if status == 200:
                    res.acked.append((i, json.loads(payload)))
                else:
                    res.failed.append((i, f"{status} {payload[:200]!r}"))
                break
        if writer is not None:
            writer.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    res.seconds = time.perf_counter() - t0
    return res


def run_load(
    url: str,
    n: int,
    *,
    concurrency: int = 50,
    method: str = "POST",
    make: Callable[[int], Any],
    stop_after: float | None = None,
    retries: int = 0,
    retry_wait: float = 0.05,
) -> LoadResult:
    """Make ``n`` calls from ``concurrency`` concurrent keep-alive clients.

    Parameters
    ----------
    url
        Server base URL (``http://127.0.0.1:PORT``).
    n
        Number of calls.
    concurrency
        Simultaneous clients.
    method
        ``POST`` or ``GET``.
    make
        ``i → (path, form)`` or ``(path, form, headers)``: call ``i`` (form ``None`` for GET).
    stop_after
        Stop starting new calls (and retrying) after this many seconds (bounds a test).
    retries
        Resend a call that got no answer (connection refused or dropped) up to this many
        times, ``retry_wait`` seconds apart — with an ``Idempotency-Key`` header a retried
        POST is stored once however often it is sent.
    """
    return asyncio.run(_run(url, n, concurrency, method, make, stop_after, retries, retry_wait))
