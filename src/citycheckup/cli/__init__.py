"""The ``citycheckup`` command (thin: every command calls the library).

Sub-command families live in their own modules of this package; each defines
``register(app: typer.Typer) -> None``. A module that is absent (an optional
part not installed) is skipped, so ``citycheckup --help`` always works.
"""

from __future__ import annotations

import importlib
import logging

import typer

__all__ = ["app", "main"]

app = typer.Typer(
    name="citycheckup",
    help="City health check-up (城市体检): frameworks, data, composite index, diagnosis, reports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Order is the order of --help. Each module owns its commands.
_SUBMODULES = ("checkup", "index", "spatial", "report", "store", "inventory", "survey", "hotline")


def _register_all() -> None:
    for name in _SUBMODULES:
        try:
            module = importlib.import_module(f"citycheckup.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"citycheckup.cli.{name}":
                continue
            raise
        module.register(app)


@app.callback()
def _root(
    verbose: bool = typer.Option(
        False, "--verbose", "-v", help="Show the library's progress and debug logging."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Only show errors."),
) -> None:
    level = logging.DEBUG if verbose else logging.ERROR if quiet else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    # third-party libraries log their progress at INFO; keep them quiet unless --verbose
    for noisy in (
        "weasyprint",
        "fontTools",
        "matplotlib",
        "PIL",
        "distributed",
        "pyogrio",
        "httpx",
        "pyrosm",
        "numexpr",
    ):
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose else logging.WARNING)


_register_all()


def main() -> None:
    """Entry point of the ``citycheckup`` console script."""
    from citycheckup.cli._common import run_app

    run_app(app)
