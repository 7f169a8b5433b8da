"""Database plumbing of the hotline store: engines, time convention, error types.

Times are stored as naive UTC. SQLite runs in WAL mode with ``BEGIN IMMEDIATE`` for
write transactions; PostgreSQL through ``postgresql+psycopg://``.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import datetime as dt
import os
import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from citycheckup.errors import HotlineError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: SQLite's busy handler alone
    fcntl = None  # type: ignore[assignment]

T = TypeVar("T")

__all__ = [
    "Conflict",
    "Forbidden",
    "GroupCommit",
    "NotFound",
    "Writer",
    "create_engine",
    "naive_utc",
    "utcnow",
]


class NotFound(HotlineError):
    """A request, token or service does not exist (HTTP 404 in the API)."""


class Forbidden(HotlineError):
    """The API key's role does not allow the operation (HTTP 403 in the API)."""


class Conflict(HotlineError):
    """A repeated call does not match the first one (HTTP 422 in the API): an
    ``Idempotency-Key`` reused with a different body."""


def utcnow() -> dt.datetime:
    """Current time as naive UTC (the storage convention)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def naive_utc(value: dt.datetime) -> dt.datetime:
    """``value`` as naive UTC (a naive value is taken to be UTC already)."""
    if value.tzinfo is None:
        return value
    return value.astimezone(dt.UTC).replace(tzinfo=None)


def create_engine(
    database_url: str, *, sqlite_synchronous: str = "NORMAL", echo: bool = False
) -> Engine:
    """An engine for ``database_url``; SQLite gets WAL mode, a busy timeout and
    ``BEGIN IMMEDIATE`` for write transactions.

    Notes
    -----
    WAL with ``synchronous=NORMAL`` keeps every committed transaction when the
    *process* is killed (the WAL is in the OS page cache); only a power loss can
    drop the last transactions. Use ``sqlite_synchronous="FULL"`` to survive that too.
    """
    if database_url.startswith("sqlite"):
        memory = database_url in ("sqlite://", "sqlite:///:memory:")
        pool: dict[str, Any] = (
            {"poolclass": sa.pool.StaticPool} if memory else {"pool_size": 8, "max_overflow": 40}
        )
        engine = sa.create_engine(
            database_url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": 30},
            **pool,
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA synchronous={sqlite_synchronous}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            # a deferred transaction that reads and then writes can fail with SQLITE_BUSY
            # without waiting; IMMEDIATE takes the write lock up front and waits for it
            # reads run in autocommit: in WAL mode each statement sees a consistent snapshot
            if conn.get_execution_options().get("hotline_write", False):
                conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    # sized for the server's thread pool (40 threads); connections are recycled hourly
    # instead of pinged before every use (a ping is a round trip per request)
    return sa.create_engine(
        database_url, echo=echo, pool_size=20, max_overflow=20, pool_recycle=3600
    )


class Writer:
    """Write transactions on ``engine``.

    With SQLite, the threads of one process take turns through a lock before
    ``BEGIN IMMEDIATE``: SQLite serialises writers anyway, and a writer that waits in
    SQLite's busy handler sleeps in steps of up to 100 ms, whereas one waiting on the
    lock starts the moment the previous commit ends. Other processes still meet the
    busy handler. PostgreSQL writers run concurrently (row locks, group commit).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine.execution_options(hotline_write=True)
        sqlite = engine.dialect.name == "sqlite"
        self._lock: threading.Lock | None = threading.Lock() if sqlite else None
        db = engine.url.database if sqlite else None
        self._lockfile = f"{db}.writelock" if db and db != ":memory:" and fcntl else None
        self._fd: int | None = None

    @contextlib.contextmanager
    def _between_processes(self) -> Iterator[None]:
        # Server processes on one SQLite file take turns through an flock on a file next
        # to it: a waiting process is woken the moment the lock is free, whereas SQLite's
        # busy handler polls with sleeps of up to 100 ms — under load a writer that
        # re-takes the lock at once could starve the other process for seconds.
        if self._lockfile is None or fcntl is None:
            yield
            return
        if self._fd is None:
            self._fd = os.open(self._lockfile, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    @contextlib.contextmanager
    def begin(self) -> Iterator[Connection]:
        """A connection in a write transaction, committed on success."""
        if self._lock is None:
            with self.engine.begin() as conn:
                yield conn
            return
        with self._lock, self._between_processes(), self.engine.begin() as conn:
            yield conn


class GroupCommit:
    """Group commit: one thread runs queued write jobs, many per transaction.

    A job is ``conn → result``. Every job of a batch is answered after the batch has
    committed — an acknowledged write is on disk (in the WAL) — or, when the commit
    fails, with that error. Under load the cost of a commit is shared by up to
    ``max_batch`` writes; a lone write commits at once.

    Protocol: a job raises :class:`~citycheckup.errors.HotlineError` (a refusal: unknown
    request, state that does not allow the action, reused idempotency key) only before
    its first write, so a refused job leaves the batch untouched and is answered with its
    error. Any other exception may leave a partial write: the batch is rolled back and
    each of its jobs is run again in a transaction of its own.
    """

    def __init__(self, writer: Writer, *, max_batch: int = 32) -> None:
        self.writer, self.max_batch = writer, max_batch
        self._queue: queue.SimpleQueue[
            tuple[concurrent.futures.Future[Any], Callable[[Connection], Any]] | None
        ] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="hotline-writer", daemon=True)
        self._thread.start()

    def submit(self, job: Callable[[Connection], T]) -> concurrent.futures.Future[T]:
        """Queue ``job``; its future completes after the commit."""
        fut: concurrent.futures.Future[T] = concurrent.futures.Future()
        self._queue.put((fut, job))
        return fut

    def close(self) -> None:
        """Finish the queued jobs and stop the thread."""
        self._queue.put(None)
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            stop = False
            while len(batch) < self.max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                batch.append(item)
            batch = [(f, j) for f, j in batch if f.set_running_or_notify_cancel()]
            if batch and not self._commit(batch):
                for one in batch:  # run alone: only the faulty job fails
                    self._commit([one], alone=True)
            if stop:
                return

    def _commit(
        self,
        batch: list[tuple[concurrent.futures.Future[Any], Callable[[Connection], Any]]],
        *,
        alone: bool = False,
    ) -> bool:
        """Run ``batch`` in one transaction and answer its futures; False (nothing
        answered, nothing stored) when a job failed in a way that needs a rollback."""
        done: list[tuple[concurrent.futures.Future[Any], Any, BaseException | None]] = []
        try:
            with self.writer.begin() as conn:
                for fut, job in batch:
                    try:
                        done.append((fut, job(conn), None))
                    except HotlineError as exc:  # refused before writing: the batch goes on
                        done.append((fut, None, exc))
        except Exception as exc:
            if not alone:
                return False
            batch[0][0].set_exception(exc)
            return True
        for fut, result, error in done:
            if error is not None:
                fut.set_exception(error)
            else:
                fut.set_result(result)
        return True
