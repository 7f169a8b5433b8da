"""Read an OSM extract in a second process while the command imports and sets up the rest.

A ``citycheckup spatial`` run spends its first seconds importing (pandas, geopandas, scipy,
pyrosm) and then reading the extract, one after the other, on one core. :meth:`PendingRead.start`
forks a reader once pandas and geopandas are loaded: the reader imports pyrosm and reads the
extract while this process imports scipy and the spatial modules and reads the other inputs;
:meth:`PendingRead.result` then receives the :class:`~citycheckup.spatial._osm.OSMData` (pickled
through a pipe). The data are those :func:`~citycheckup.spatial._osm.read_osm` returns in this
process, and its errors are raised here unchanged.

Nothing is forked (:meth:`PendingRead.start` returns ``None`` and the caller reads as usual)
where ``fork`` is not available, where the process already runs other threads (forking a
threaded process is unsafe), on a single CPU, or with ``CITYCHECKUP_READ_AHEAD=0``. This
module imports only the standard library.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import threading
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from citycheckup.spatial._osm import OSMData

__all__ = ["READ_AHEAD_ENV", "PendingRead", "can_fork", "usable_cpus", "worker_setting"]

#: Environment variable: ``0`` reads the extract in the calling process.
READ_AHEAD_ENV = "CITYCHECKUP_READ_AHEAD"


def usable_cpus() -> int:
    """The CPUs this process may run on (1 where the platform cannot tell)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1


def can_fork() -> bool:
    """Whether forking is available and safe here: no other thread runs in this process."""
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def worker_setting(env: str, error: type[Exception], zero_means: str, n_means: str) -> int | None:
    """The number of worker processes set in the environment variable ``env`` (``None``: unset).

    ``zero_means`` and ``n_means`` say what 0 and a positive number do, for the message of
    ``error`` raised when the value is not a whole number of 0 or more.
    """
    raw = os.environ.get(env)
    if raw is None:
        return None
    try:
        n = int(raw)
    except ValueError:
        raise error(
            f"{env}={raw!r} is not a whole number; set it to 0 ({zero_means}) or to {n_means}, e.g. 2"
        ) from None
    if n < 0:
        raise error(f"{env}={raw!r} is negative; set it to 0 or more")
    return n


def _allowed() -> bool:
    if os.environ.get(READ_AHEAD_ENV, "1").strip() in {"0", "no", "false"}:
        return False
    return usable_cpus() >= 2 and can_fork()


def _read(path: str, conn: Connection) -> None:
    """The reader process: read the extract, send ``("ok", data)`` or ``("error", exc)``."""
    try:
        from citycheckup.spatial._osm import read_osm

        msg: tuple[str, Any] = ("ok", read_osm(path))
    except BaseException as exc:  # everything goes back to the caller, which raises it
        msg = ("error", exc)
    try:
        conn.send(msg)
    except Exception as exc:  # not picklable: its text at least
        from citycheckup.errors import SpatialError

        conn.send(("error", SpatialError(f"reading the OSM extract failed: {msg[1]!r} ({exc})")))
    finally:
        conn.close()


class PendingRead:
    """An OSM extract being read by a forked process (see the module docstring)."""

    def __init__(self, path: Path, process: BaseProcess, conn: Connection) -> None:
        self.path = path
        self._process = process
        self._conn = conn
        self._answered = False

    @classmethod
    def start(cls, path: str | Path) -> PendingRead | None:
        """Fork a reader of ``path``; ``None`` where reading ahead is not possible or wanted."""
        if not _allowed():
            return None
        ctx = multiprocessing.get_context("fork")
        parent, child = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_read, args=(str(path), child), daemon=True)
        proc.start()
        child.close()
        return cls(Path(path), proc, parent)

    def result(self) -> OSMData:
        """The extract's data, once read; the reader's error is raised here.

        Raises
        ------
        SpatialError
            As :func:`~citycheckup.spatial._osm.read_osm` does, or when the reader process
            ended without an answer (killed, out of memory).
        """
        try:
            kind, payload = self._conn.recv()
            self._answered = True
        except (EOFError, OSError, pickle.UnpicklingError):
            self._process.join(timeout=5)
            from citycheckup.errors import Problem, SpatialError

            raise SpatialError(
                "reading the OSM extract failed",
                problems=[
                    Problem(
                        f"the reading process ended without an answer (exit code "
                        f"{self._process.exitcode}); run again with {READ_AHEAD_ENV}=0 to read "
                        "it in this process",
                        str(self.path),
                    )
                ],
            ) from None
        finally:
            self.close()
        if kind == "error":
            raise payload
        return payload  # type: ignore[no-any-return]

    def close(self) -> None:
        """Stop the reader if it still runs and release the pipe (idempotent)."""
        if self._answered:  # it is closing its end and exiting
            self._process.join(timeout=2)
        if self._process.is_alive():
            self._process.terminate()
        self._process.join(timeout=5)
        self._conn.close()
