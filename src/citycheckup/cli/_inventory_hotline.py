"""``citycheckup problems hotline|link-tickets``: 12345 tickets as candidate problems, and their links."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer

from citycheckup.cli._common import fail, guarded
from citycheckup.cli._inventory_common import (
    FW_HELP,
    STORE_HELP,
    _date,
    _framework,
    _open,
    _print_table,
    out_console,
    problems_app,
)

__all__ = ["add_hotline"]


def add_hotline() -> None:
    """Add the hotline commands to :data:`problems_app`."""

    @problems_app.command("hotline")
    def problems_hotline(
        unit: str = typer.Option(..., "--unit", "-u", help="City code."),
        year: int = typer.Option(..., "--year", "-y", help="Check-up year."),
        hotline_db: str = typer.Option(
            None,
            "--hotline-db",
            help="Hotline database URL (default $CITYCHECKUP_HOTLINE_DB, as `hotline serve`).",
        ),
        start: str = typer.Option(
            None, "--from", help="First day of the period (YYYY-MM-DD; default 1 January)."
        ),
        end: str = typer.Option(
            None, "--to", help="Last day of the period (YYYY-MM-DD; default 31 December)."
        ),
        timezone: str = typer.Option(
            "Asia/Shanghai", "--timezone", help="The city's time zone (decides a ticket's day)."
        ),
        mapping: Path = typer.Option(
            None, "--mapping", help="Mapping table (YAML; default: the built-in one)."
        ),
        min_tickets: int = typer.Option(
            None, "--min-tickets", help="Override the mapping's hotspot threshold."
        ),
        community_boundaries: Path = typer.Option(
            None, "--community-boundaries", help="GeoJSON polygons with property community_id."
        ),
        block_boundaries: Path = typer.Option(
            None, "--block-boundaries", help="GeoJSON polygons with property block_id."
        ),
        out: Path = typer.Option(
            None,
            "--out",
            "-o",
            help="Folder (e.g. the check-up run) for hotline_candidates.csv, hotline_tickets.csv "
            "(every ticket, its outcome) and hotline_findings.json (the period's figures).",
        ),
        dry_run: bool = typer.Option(False, "--dry-run", help="Do not store the candidates."),
        framework: str = typer.Option(None, "--framework", "-f", help=FW_HELP),
        store: Path = typer.Option(None, "--store", help=STORE_HELP),
    ) -> None:
        """12345 tickets of a period → classified, located, hotspots stored as candidate problems."""
        import os

        from citycheckup.hotline import HotlineStore
        from citycheckup.inventory.hotline_link import (
            hotline_findings,
            load_hotline_mapping,
            read_boundaries,
            write_findings,
        )

        fw = _framework(framework)
        over = {"min_tickets": min_tickets} if min_tickets is not None else None
        mp = guarded(lambda: load_hotline_mapping(mapping, fw, overrides=over))
        bounds = {}
        if community_boundaries is not None:
            bounds["community"] = guarded(
                lambda: read_boundaries(community_boundaries, "community")
            )
        if block_boundaries is not None:
            bounds["block"] = guarded(lambda: read_boundaries(block_boundaries, "block"))
        url = hotline_db or os.environ.get("CITYCHECKUP_HOTLINE_DB", "sqlite:///hotline.db")
        if url.startswith("sqlite:///") and not Path(url[len("sqlite:///") :]).is_file():
            fail(f"no hotline database at {url}; give --hotline-db (e.g. sqlite:///hotline.db)")
        hs = guarded(lambda: HotlineStore(url, migrate=False))
        try:
            tickets = hs.dataframe()
        finally:
            hs.close()
        period = (
            _date(start) if start else dt.date(year, 1, 1),
            _date(end) if end else dt.date(year, 12, 31),
        )
        st, st_inv = _open(store, read_only=dry_run)
        try:
            inv = st_inv.load(unit)
            if all(
                inv.register(k, unit_code=unit, year=year).empty for k in ("community", "block")
            ):
                fail(
                    f"the store has no community or block register of {unit} {year}: import them "
                    "with `registers import` so that tickets can be located"
                )
            f = guarded(
                lambda: hotline_findings(
                    tickets, inv, unit, year, mapping=mp, period=period, timezone=timezone,
                    boundaries=bounds or None,
                )
            )  # fmt: skip
            if not dry_run:
                guarded(lambda: st_inv.record_hotline_candidates(f, source=url.rsplit("/", 1)[-1]))
        finally:
            st.close()
        c = f.counts()
        out_console.print(
            f"{c['tickets']} tickets {period[0]}…{period[1]}: {c['candidate']} behind "
            f"{len(f.candidates)} candidate problem(s) (≥ {mp.min_tickets} tickets), "
            f"{c['below_threshold']} below the threshold, {c['unmapped']} unmapped, "
            f"{c['unlocated']} unlocated, {c['duplicate']} duplicates",
            highlight=False,
        )
        if out is not None:
            for path in guarded(lambda: write_findings(f, out)):
                out_console.print(str(Path(path).resolve()), soft_wrap=True)
        _print_table(
            f.candidates,
            "table",
            [
                "candidate_id",
                "level",
                "name_zh",
                "sub_item_zh",
                "place_name",
                "n_tickets",
                "ticket_ids",
            ],
        )

    @problems_app.command("link-tickets")
    def problems_link_tickets(
        problem: str = typer.Argument(..., help="ID of a closed problem (已销号)."),
        tickets: list[str] = typer.Argument(
            ..., help="12345 ticket IDs (service_request_id) it resolved."
        ),
        note: str = typer.Option(None, "--note", help="Note kept with the links."),
        actor: str = typer.Option(None, "--actor", help="Who records the links."),
        store: Path = typer.Option(None, "--store", help=STORE_HELP),
    ) -> None:
        """Link a closed problem to the hotline tickets it resolved."""
        st, st_inv = _open(store)
        try:
            n = guarded(lambda: st_inv.link_tickets(problem, tickets, note=note, actor=actor))
            links = st_inv.ticket_links(problem)
        finally:
            st.close()
        out_console.print(
            f"{n} ticket link(s) added; {problem} resolved tickets: "
            + ", ".join(str(i) for i in links["ticket_id"]),
            highlight=False,
        )
