"""Errors of the results store."""

from __future__ import annotations

from citycheckup.errors import CitycheckupError

__all__ = ["RunNotFoundError", "StoreError"]


class StoreError(CitycheckupError, ValueError):
    """The store cannot be opened, is locked, or a run directory cannot be stored."""


class RunNotFoundError(CitycheckupError, LookupError):
    """No run with the given id is in the store."""

    def __init__(self, run_id: str):
        self.run_id = run_id
        super().__init__(
            f"no run {run_id!r} in the store; list the runs with 'citycheckup runs list'"
        )

    def __str__(self) -> str:
        return str(self.args[0])
