"""Token buckets (``citycheckup.hotline.ratelimit``) on a fake clock: burst, refill at the
boundary, debts, and buckets shared by two processes through the database."""

from __future__ import annotations

import pytest

from citycheckup.hotline.ratelimit import Limit, TokenBuckets, client_bucket


class Clock:
    def __init__(self) -> None:
        self.t = 1_000_000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture(params=["memory", "database"])
def buckets(request, store):  # type: ignore[no-untyped-def]
    clock = Clock()
    b = TokenBuckets(store._writer if request.param == "database" else None, clock=clock)
    return b, clock


def test_burst_then_refill_at_the_boundary(buckets) -> None:  # type: ignore[no-untyped-def]
    b, clock = buckets
    lim = Limit.per_minute(60, 3)  # 1 token a second, burst 3
    assert [b.take("k", lim) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert b.take("k", lim) == pytest.approx(1.0)  # empty: one second to the next token
    clock.t += 0.999  # just below: still refused (locally, without the database)
    assert b.take("k", lim) == pytest.approx(0.001)
    clock.t += 0.001  # at the boundary: one token is back
    assert b.take("k", lim) == 0.0
    assert b.take("k", lim) > 0
    clock.t += 1000  # long idle: never more than the burst
    assert [b.take("k", lim) == 0.0 for _ in range(4)] == [True, True, True, False]


def test_a_debt_is_paid_before_the_next_call(buckets) -> None:  # type: ignore[no-untyped-def]
    b, clock = buckets
    lim = Limit.per_minute(60, 10)
    assert b.take("a", lim) == 0.0
    b.charge("a", 20)  # a large answer, charged after the fact
    wait = b.take("a", lim)
    # 9 tokens were left; 20 more were spent: 11 in debt, and 1 for this call → 12 s
    assert wait == pytest.approx(12.0)
    clock.t += 11.9
    assert b.take("a", lim) > 0
    clock.t += 0.1
    assert b.take("a", lim) == 0.0


def test_per_minute_defaults() -> None:
    assert Limit.per_minute(0) is None  # no limit
    assert Limit.per_minute(60) == Limit(1.0, 10.0)  # burst: ten seconds' worth
    assert Limit.per_minute(3) == Limit(0.05, 1.0)  # at least 1
    assert Limit.per_minute(600, 120).lease == 30


def test_two_processes_share_one_bucket(store) -> None:  # type: ignore[no-untyped-def]
    clock = Clock()
    a, b = TokenBuckets(store._writer, clock=clock), TokenBuckets(store._writer, clock=clock)
    lim = Limit.per_minute(60, 8)  # lease: 2 tokens at a time
    got = [(a if i % 2 else b).take("k1", lim) == 0.0 for i in range(12)]
    assert got.count(True) == 8  # never more than the burst in total
    clock.t += 2.0  # two tokens refilled, whoever takes them
    got = [(a if i % 2 else b).take("k1", lim) == 0.0 for i in range(6)]
    assert got.count(True) <= 2


def test_client_buckets() -> None:
    assert client_bucket("203.0.113.5") == "a203.0.113.5"
    # one IPv6 subscriber holds a /64: rotating inside it buys no fresh bucket
    assert client_bucket("2001:db8:1:2::5") == client_bucket("2001:db8:1:2:ffff::9")
    assert client_bucket("2001:db8:1:2::5") != client_bucket("2001:db8:1:3::5")
    assert client_bucket(None) == "a?"


def test_threads_of_one_process_do_not_lease_twice(store) -> None:  # type: ignore[no-untyped-def]
    """Concurrent calls for one key wait for one lease instead of emptying the bucket."""
    import concurrent.futures

    b = TokenBuckets(store._writer, clock=Clock())
    lim = Limit.per_minute(60_000, 10_000)  # lease 2,500
    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        waits = list(pool.map(lambda _: b.take("k", lim), range(400)))
    assert waits == [0.0] * 400
    assert b._leases == 1


def test_group_commit_answers_each_job(store) -> None:  # type: ignore[no-untyped-def]
    """Refused jobs are answered alone, a job that fails after writing rolls back and the
    others are run again alone, and every future completes after its commit."""
    import sqlalchemy as sa

    from citycheckup.errors import HotlineError
    from citycheckup.hotline import schema as S
    from citycheckup.hotline._db import GroupCommit

    meta = S.meta_table

    def put(k: str) -> object:
        return lambda conn: conn.execute(meta.insert().values(key=k, value="v")) and k

    def refuse(conn: object) -> None:
        raise HotlineError("refused before writing")

    def broken(conn: sa.Connection) -> None:
        conn.execute(meta.insert().values(key="half", value="v"))
        raise RuntimeError("fails after a write")

    group = GroupCommit(store._writer)
    futures = [group.submit(j) for j in (put("a"), refuse, put("b"), broken, put("c"))]
    group.close()
    assert [f.exception() is None for f in futures] == [True, False, True, False, True]
    assert isinstance(futures[1].exception(), HotlineError)
    assert isinstance(futures[3].exception(), RuntimeError)
    with store.engine.connect() as conn:
        keys = {r[0] for r in conn.execute(sa.select(meta.c.key))}
    assert {"a", "b", "c"} <= keys and "half" not in keys
