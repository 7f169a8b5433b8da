"""Helpers shared by the CLI modules: error display, progress, output checks."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TypeVar

import typer
from rich.console import Console

from citycheckup.errors import CitycheckupError

T = TypeVar("T")

console = Console(stderr=True)


def run_app(app: typer.Typer) -> None:
    """Run ``app``; print citycheckup errors without a traceback and exit 2."""
    try:
        app()
    except CitycheckupError as exc:
        console.print(f"[bold red]error:[/bold red] {type(exc).__name__}")
        console.print(str(exc), markup=False, highlight=False)
        sys.exit(2)


def fail(message: str, code: int = 2) -> None:
    """Print an error message and exit with ``code``."""
    console.print(f"[bold red]error:[/bold red] {message}", highlight=False)
    raise typer.Exit(code)


def guarded(func: Callable[[], T]) -> T:
    """Call ``func``; turn a CitycheckupError into a clean exit (for CliRunner too)."""
    try:
        return func()
    except CitycheckupError as exc:
        console.print(f"[bold red]error:[/bold red] {type(exc).__name__}")
        console.print(str(exc), markup=False, highlight=False)
        raise typer.Exit(2) from exc


def store_option_help() -> str:
    return "DuckDB results store to save this run into (default: $CITYCHECKUP_STORE when set; otherwise not stored)."


def maybe_store(out: object, *, kind: str, store: object | None, label: str | None) -> None:
    """Save the result directory ``out`` into the results store when one is named.

    The store is ``store`` or ``$CITYCHECKUP_STORE``; with neither, nothing is stored.
    """
    import os
    from pathlib import Path

    target = store or os.environ.get("CITYCHECKUP_STORE")
    if not target:
        return
    try:
        from citycheckup.store import save_run_dir
    except ImportError:
        fail("the results store needs the 'web' extra: pip install 'citycheckup[web]'")
        return
    run_id = guarded(
        lambda: save_run_dir(Path(str(target)), Path(str(out)), kind=kind, label=label)
    )
    console.print(f"stored as run {run_id} in {target}")
