"""Token-bucket rate limits shared by every server process through the database.

Each limited party (an API key, or a client address for public reads) has a bucket of
``burst`` tokens refilled at ``rate`` tokens per second. The bucket lives in the table
``hotline_rate_buckets``; a process takes tokens from it in small *leases* (a quarter
of the burst at most) inside a write transaction and spends them locally, so the
database is written once per lease rather than once per call. Guarantees:

* the tokens spent by all processes together never exceed ``burst + rate × t`` over
  any interval of length ``t`` (a lease is taken from the shared bucket before it is
  spent), and
* a party refused by one process is refused locally (no database access) until its
  bucket has refilled enough, so a flood of refused calls costs no database work.

The only slack is the other way round: tokens leased by one process and not yet
spent there are not available to another process, so a client spreading its calls
over several processes may be refused slightly early.

Costs may be charged after the fact (a public read costs more when its answer is
large); a bucket may then go into debt, and its party is refused until the debt is
refilled.

Without an engine the buckets live in memory (one process).
"""

from __future__ import annotations

import ipaddress
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from citycheckup.hotline import schema as S
from citycheckup.hotline._db import Writer

__all__ = ["Limit", "TokenBuckets", "client_bucket"]

#: Local state is kept for at most this many parties (least recently used dropped).
MAX_LOCAL = 100_000
#: Database rows untouched this long (their buckets long full again) are deleted.
PRUNE_AFTER_S = 3600.0


@dataclass(frozen=True)
class Limit:
    """A sustained ``rate`` (tokens per second) and the largest ``burst``."""

    rate: float
    burst: float

    @classmethod
    def per_minute(cls, per_minute: float, burst: float | None = None) -> Limit | None:
        """``per_minute`` calls a minute with ``burst`` (default: ten seconds' worth, at
        least 1); ``None`` when ``per_minute`` is 0 (no limit)."""
        if per_minute <= 0:
            return None
        b = burst if burst is not None else max(1.0, math.floor(per_minute / 6))
        return cls(per_minute / 60.0, float(b))

    @property
    def lease(self) -> float:
        """Tokens a process takes from the shared bucket at a time."""
        return max(1.0, math.floor(self.burst / 4))


class _Local:
    __slots__ = ("denied_until", "tokens")

    def __init__(self) -> None:
        self.tokens = 0.0
        self.denied_until = 0.0


class TokenBuckets:
    """Token buckets by name (``k17`` for key 17, ``a203.0.113.5`` for an address).

    Parameters
    ----------
    writer
        Write transactions on the hotline database (buckets shared by every process
        on it); ``None`` keeps the buckets in this process's memory.
    clock
        Seconds since the epoch (``time.time``); tests pass a fake clock. Shared
        buckets need a wall clock that processes agree on.
    """

    def __init__(
        self, writer: Writer | None = None, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.writer = writer
        self.clock = clock
        self._local: OrderedDict[str, _Local] = OrderedDict()
        self._memory: dict[str, tuple[float, float]] = {}  # name → (tokens, updated)
        self._lock = threading.Lock()
        self._lease_lock = threading.Lock()
        self._leases = 0

    def _state(self, name: str) -> _Local:
        st = self._local.get(name)
        if st is None:
            st = self._local[name] = _Local()
            if len(self._local) > MAX_LOCAL:
                self._local.popitem(last=False)
        else:
            self._local.move_to_end(name)
        return st

    def take(self, name: str, limit: Limit, cost: float = 1.0) -> float:
        """Spend ``cost`` tokens of ``name``'s bucket.

        Returns
        -------
        float
            0 when allowed; otherwise the seconds to wait before trying again.
        """
        now = self.clock()
        with self._lock:
            st = self._state(name)
            if st.denied_until > now:
                return st.denied_until - now
            if st.tokens >= cost:
                st.tokens -= cost
                return 0.0
        # one lease at a time in this process: a thread that waited here finds the
        # tokens the previous lease brought (or its refusal) instead of leasing again
        with self._lease_lock:
            with self._lock:
                st = self._state(name)
                if st.denied_until > now:
                    return st.denied_until - now
                if st.tokens >= cost:
                    st.tokens -= cost
                    return 0.0
                # settle with the shared bucket: hand back what is left here (or the debt)
                settle, st.tokens = st.tokens, 0.0
            granted, wait = self._lease(name, limit, cost, settle, now)
            with self._lock:
                st = self._state(name)
                if wait > 0:
                    st.denied_until = now + wait
                    return wait
                st.tokens += granted - cost
                return 0.0

    def take_local(self, name: str, cost: float = 1.0) -> float | None:
        """Like :meth:`take` without touching the shared bucket: 0 when the local lease
        covers ``cost``, the wait while ``name`` is refused, ``None`` when a new lease is
        needed (then call :meth:`take`, off the event loop)."""
        now = self.clock()
        with self._lock:
            st = self._local.get(name)
            if st is None:
                return None
            if st.denied_until > now:
                return st.denied_until - now
            if st.tokens >= cost:
                st.tokens -= cost
                return 0.0
        return None

    def denied(self, name: str) -> float:
        """Seconds ``name`` is still refused (0 when not), from local state only."""
        now = self.clock()
        with self._lock:
            st = self._local.get(name)
            return 0.0 if st is None or st.denied_until <= now else st.denied_until - now

    def charge(self, name: str, cost: float) -> None:
        """Spend ``cost`` more tokens after the fact (the bucket may go into debt)."""
        if cost <= 0:
            return
        with self._lock:
            self._state(name).tokens -= cost

    def _lease(
        self, name: str, limit: Limit, need: float, settle: float, now: float
    ) -> tuple[float, float]:
        """Settle with the shared bucket and take ``need`` tokens plus up to a lease.

        ``settle`` (what this process holds: unspent tokens, or a debt when negative) is
        added back first, so a debt is shared by every process. Returns the tokens granted
        (at least ``need``) and 0, or nothing and the seconds until ``need`` are there.
        """
        self._leases += 1

        def settle_and_grant(tokens: float, updated: float) -> tuple[float, float, float]:
            tokens = min(limit.burst, tokens + max(0.0, now - updated) * limit.rate)
            tokens = min(limit.burst, tokens + settle)
            if tokens < need:
                return tokens, 0.0, (need - tokens) / limit.rate
            grant = min(tokens, need + limit.lease - 1)
            return tokens - grant, grant, 0.0

        if self.writer is None:
            with self._lock:
                tokens, updated = self._memory.get(name, (limit.burst, now))
                left, grant, wait = settle_and_grant(tokens, updated)
                self._memory.pop(name, None)
                self._memory[name] = (left, now)  # most recent last
                if len(self._memory) > MAX_LOCAL:  # the oldest have long refilled
                    del self._memory[next(iter(self._memory))]
            return grant, wait
        b = S.rate_buckets
        dialect = self.writer.engine.dialect.name
        insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(b)
        with self.writer.begin() as conn:
            conn.execute(
                insert.values(name=name, tokens=limit.burst, updated=now).on_conflict_do_nothing()
            )
            row = conn.execute(
                sa.select(b.c.tokens, b.c.updated).where(b.c.name == name).with_for_update()
            ).one()
            left, grant, wait = settle_and_grant(row.tokens, row.updated)
            conn.execute(b.update().where(b.c.name == name).values(tokens=left, updated=now))
            if self._leases % 10_000 == 0:
                conn.execute(b.delete().where(b.c.updated < now - PRUNE_AFTER_S))
        return grant, wait

    def reset(self) -> None:
        """Forget the local state (the shared buckets stay)."""
        with self._lock:
            self._local.clear()
            self._memory.clear()


def client_bucket(address: str | None) -> str:
    """Bucket name of a client address: the address itself for IPv4, its /64 network
    for IPv6 (one subscriber usually holds a whole /64, so rotating addresses inside it
    does not buy a fresh bucket)."""
    if not address:
        return "a?"
    if ":" in address:
        try:
            net = ipaddress.IPv6Network(f"{address}/64", strict=False)
            return f"a{net.network_address}/64"
        except ValueError:
            pass
    return "a" + address[:64]
