"""Load test of the web API: ranking and unit-profile endpoints under 50 concurrent clients.

Starts ``citycheckup serve`` (uvicorn, one process) on 127.0.0.1 with the demo store
(300 cities × 25 years). For each endpoint the requests are all distinct keys (every
year × dimension × sort × page of the ranking: 1 800; every city × year of the
profile: 7 500) and the test has two phases:

- *cold*: every distinct request once, taken from a queue by ``--clients`` concurrent
  httpx clients, so each one is computed (nothing cached yet);
- *warm*: ``--rounds`` timed rounds of ``--seconds`` in which ``--clients`` clients
  cycle through the same requests, now answered from the response cache.

With ``--tool wrk`` (Debian package ``wrk``) the load comes from wrk instead (one
thread, ``--clients`` connections, a Lua script cycling through the same requests),
which takes far less CPU than the Python client on a small machine.

Prints p50/p95/p99 latency, throughput and errors per round, and the median over
rounds. Target: p95 under 100 ms, no errors.

Usage::

    .venv/bin/python benchmarks/bench_api.py                 # builds out/bench/demo if missing
    .venv/bin/python benchmarks/bench_api.py --store out/demo/citycheckup.duckdb --rounds 5
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
CLI = str(Path(sys.executable).with_name("citycheckup"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ensure_store(path: Path | None) -> Path:
    if path is not None:
        return path
    out = REPO / "out" / "bench" / "demo"
    store = out / "citycheckup.duckdb"
    if not store.is_file():
        print(f"building the demo store in {out} …", flush=True)
        subprocess.run(
            [CLI, "demo", "--out", str(out), "--uncertainty", "0"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        if not store.is_file():  # demo without the store hook: store the run directly
            from citycheckup.store import save_run_dir

            save_run_dir(store, out, kind="run", label="demo")
    return store


def urls(
    base: str, run_id: str, years: list[int], dims: list[str], units: list[str], kind: str
) -> list[str]:
    if kind == "ranking":
        out = [
            f"/api/v1/runs/{run_id}/scores?year={y}&score={d}&sort={s}&limit=50&offset={o}"
            for y, d, s, o in itertools.product(
                years, dims, ("rank", "-value", "name"), (0, 50, 100)
            )
        ]
    else:
        out = [
            f"/api/v1/runs/{run_id}/units/{u}?year={y}" for u, y in itertools.product(units, years)
        ]
    random.Random(1).shuffle(out)
    return out


async def client(
    base: str, paths: list[str], start: int, stop_at: float, lat: list[float], errors: list[str]
) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=30) as c:
        i = start
        while time.perf_counter() < stop_at:
            p = paths[i % len(paths)]
            i += 1
            t0 = time.perf_counter()
            try:
                r = await c.get(p)
                ok = r.status_code == 200
            except httpx.HTTPError as exc:
                ok, r = False, None
                errors.append(repr(exc))
            lat.append(time.perf_counter() - t0)
            if not ok and r is not None:
                errors.append(f"{r.status_code} {p}")


async def cold_pass(base: str, paths: list[str], clients: int) -> dict[str, float]:
    queue: asyncio.Queue[str] = asyncio.Queue()
    for p in paths:
        queue.put_nowait(p)
    lat: list[float] = []
    errors: list[str] = []

    async def worker() -> None:
        async with httpx.AsyncClient(base_url=base, timeout=60) as c:
            while not queue.empty():
                p = queue.get_nowait()
                t0 = time.perf_counter()
                try:
                    r = await c.get(p)
                    if r.status_code != 200:
                        errors.append(f"{r.status_code} {p}")
                except httpx.HTTPError as exc:
                    errors.append(repr(exc))
                lat.append(time.perf_counter() - t0)

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    wall = time.perf_counter() - t0
    q = statistics.quantiles(lat, n=100)
    return {
        "n": len(lat),
        "rps": len(lat) / wall,
        "p50": q[49] * 1000,
        "p95": q[94] * 1000,
        "p99": q[98] * 1000,
        "errors": len(errors),
    }


async def one_round(base: str, paths: list[str], clients: int, seconds: float) -> dict[str, float]:
    lat: list[float] = []
    errors: list[str] = []
    stop_at = time.perf_counter() + seconds
    step = max(1, len(paths) // clients)
    t0 = time.perf_counter()
    await asyncio.gather(
        *(client(base, paths, k * step, stop_at, lat, errors) for k in range(clients))
    )
    wall = time.perf_counter() - t0
    q = statistics.quantiles(lat, n=100)
    return {
        "n": len(lat),
        "rps": len(lat) / wall,
        "p50": q[49] * 1000,
        "p95": q[94] * 1000,
        "p99": q[98] * 1000,
        "errors": len(errors),
    }


WRK_SCRIPT = """
local paths = {%s}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %%d %%d %%f %%f %%f %%d\\n", summary.requests, summary.duration,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.status + e.timeout))
end
"""


def wrk_round(base: str, paths: list[str], clients: int, seconds: float) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(WRK_SCRIPT % ", ".join(f'"{p}"' for p in paths))
        script = fh.name
    try:
        out = subprocess.run(
            [
                "wrk",
                "-t1",
                f"-c{clients}",
                f"-d{seconds:g}s",
                "--timeout",
                "10s",
                "-s",
                script,
                base,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(script)
    line = next(x for x in out.splitlines() if x.startswith("RESULT"))
    n, us, p50, p95, p99, errors = line.split()[1:]
    return {
        "n": int(n),
        "rps": int(n) / (int(us) / 1e6),
        "p50": float(p50),
        "p95": float(p95),
        "p99": float(p99),
        "errors": int(errors),
    }


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--store", type=Path, default=None, help="Demo store (default: build out/bench/demo)."
    )
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--tool", choices=("httpx", "wrk"), default="httpx", help="Load generator.")
    args = ap.parse_args()
    if args.tool == "wrk" and shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    store = ensure_store(args.store)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "CITYCHECKUP_API_TOKEN": ""}
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in the finally below
    server = subprocess.Popen(
        # the load comes from one address (loopback): the per-address limit is switched
        # off, or the cold phase would be refused after the first 300 requests
        [
            CLI,
            "serve",
            "--store",
            str(store),
            "--port",
            str(port),
            "--read-only",
            "--rate-limit",
            "0",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                runs = httpx.get(f"{base}/api/v1/runs?kind=run", timeout=2).json()["items"]
                break
            except httpx.HTTPError as exc:
                if time.monotonic() > deadline or server.poll() is not None:
                    log.seek(0)
                    err = log.read().decode(errors="replace")
                    raise SystemExit(f"server did not start: {err}") from exc
                time.sleep(0.3)
        run = max(runs, key=lambda r: r["n_units"])
        info = httpx.get(f"{base}/api/v1/runs/{run['run_id']}").json()
        units = [
            u["unit_code"]
            for u in httpx.get(f"{base}/api/v1/runs/{run['run_id']}/units?limit=1000").json()[
                "items"
            ]
        ]
        dims = [d["code"] for d in info["dimensions"]]
        print(
            f"store {store}: run {run['run_id']}, {len(units)} units × {len(info['years'])} years, "
            f"{args.clients} clients ({args.tool}), {args.seconds:g} s per round, {args.rounds} rounds"
        )
        for kind in ("ranking", "profile"):
            paths = urls(base, run["run_id"], info["years"], dims, units, kind)
            cold = asyncio.run(cold_pass(base, paths, args.clients))
            print(
                f"{kind:8s} cold (each of {cold['n']} distinct requests once, httpx): {cold['rps']:.0f} req/s, "
                f"p50 {cold['p50']:.1f} ms, p95 {cold['p95']:.1f} ms, p99 {cold['p99']:.1f} ms, "
                f"errors {cold['errors']}",
                flush=True,
            )
            results = []
            for k in range(args.rounds):
                res = (
                    wrk_round(base, paths, args.clients, args.seconds)
                    if args.tool == "wrk"
                    else asyncio.run(one_round(base, paths, args.clients, args.seconds))
                )
                results.append(res)
                print(
                    f"  {kind:8s} round {k + 1}: {res['n']:6d} requests, {res['rps']:7.0f} req/s, "
                    f"p50 {res['p50']:6.1f} ms, p95 {res['p95']:6.1f} ms, p99 {res['p99']:6.1f} ms, "
                    f"errors {res['errors']}",
                    flush=True,
                )
            med = {key: statistics.median(r[key] for r in results) for key in results[0]}
            print(
                f"{kind:8s} warm, median of {args.rounds} rounds ({args.tool}): {med['rps']:.0f} req/s, p50 {med['p50']:.1f} ms, "
                f"p95 {med['p95']:.1f} ms, p99 {med['p99']:.1f} ms, errors {sum(r['errors'] for r in results)}"
            )
    finally:
        server.terminate()
        server.wait(10)
        log.close()


if __name__ == "__main__":
    main()
