"""``citycheckup hotline …``: the 12345 / Open311 hotline commands."""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Any

import typer

from citycheckup.cli._common import console, fail, guarded

__all__ = ["register"]

logger = logging.getLogger(__name__)

DEFAULT_DB = "sqlite:///hotline.db"
_DB_HELP = (
    "SQLAlchemy URL (sqlite:///file.db or postgresql+psycopg://…); env CITYCHECKUP_HOTLINE_DB."
)

app = typer.Typer(
    help="Citizen hotline (12345 接诉即办): Open311 server, classifier, metrics.",
    no_args_is_help=True,
)
keys_app = typer.Typer(
    help="API keys (stored hashed; roles submit < operate < admin).", no_args_is_help=True
)
app.add_typer(keys_app, name="keys")


def _db(value: str | None) -> str:
    return value or os.environ.get("CITYCHECKUP_HOTLINE_DB", DEFAULT_DB)


def _store(
    database: str | None,
    catalogue: Path | None = None,
    model: Path | None = None,
    migrate: bool = True,
):  # type: ignore[no-untyped-def]
    from citycheckup.hotline import HotlineClassifier, HotlineStore, load_catalogue

    cat = load_catalogue(catalogue)
    clf = HotlineClassifier.load(model) if model is not None else None
    return _open(HotlineStore, _db(database), catalogue=cat, classifier=clf, migrate=migrate)


def _open(cls: Any, url: str, **kwargs: Any) -> Any:
    """``cls(url, **kwargs)``; a URL that cannot be parsed or opened is a HotlineError."""
    import sqlalchemy as sa

    from citycheckup.errors import HotlineError

    try:
        return cls(url, **kwargs)
    except (sa.exc.ArgumentError, sa.exc.DBAPIError) as exc:
        shown = re.sub(r"(://[^/:@]*:)[^@/]*@", r"\1***@", url)  # never print a password
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise HotlineError(
            f"cannot open the hotline database {shown!r} ({reason}); give --database or "
            "CITYCHECKUP_HOTLINE_DB as a SQLAlchemy URL such as sqlite:///hotline.db (in a "
            "folder that exists) or postgresql+psycopg://user@host/db"
        ) from exc


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8311, help="TCP port."),
    database: str = typer.Option(None, "--database", help=_DB_HELP),
    catalogue: Path = typer.Option(None, help="Dispatch catalogue YAML (default: built-in)."),
    model: Path = typer.Option(None, help="Classifier from `hotline train` (for auto-dispatch)."),
    rate_limit: int = typer.Option(
        60_000,
        help="Default calls per minute per API key, shared by all workers (0: no limit).",
    ),
    public_rate_limit: int = typer.Option(
        600,
        help="Reads per minute per client address (an IPv6 client's /64), shared by all "
        "workers; a read costs one more per 64 KiB of its answer (0: no limit).",
    ),
    public_burst: int = typer.Option(120, help="Largest burst of reads per client address."),
    base_url: str = typer.Option(
        "",
        help="Public base URL for the discovery document, e.g. https://311.example.gov "
        "(default: the relative path /open311/v2).",
    ),
    workers: int = typer.Option(
        1, help="Worker processes (SQLite in WAL mode and PostgreSQL both allow several)."
    ),
) -> None:
    """Run the Open311 GeoReport v2 server (endpoints under /open311/v2/)."""
    import uvicorn

    from citycheckup.hotline.server import create_app

    st = guarded(lambda: _store(database, catalogue, model))  # validates and migrates once
    logger.info("serving Open311 on http://%s:%d/open311/v2/discovery.json", host, port)
    if workers > 1:
        st.close()
        os.environ.update(
            {
                "CITYCHECKUP_HOTLINE_DB": _db(database),
                "CITYCHECKUP_HOTLINE_CATALOGUE": str(catalogue or ""),
                "CITYCHECKUP_HOTLINE_MODEL": str(model or ""),
                "CITYCHECKUP_HOTLINE_RATE_LIMIT": str(rate_limit),
                "CITYCHECKUP_HOTLINE_PUBLIC_RATE_LIMIT": str(public_rate_limit),
                "CITYCHECKUP_HOTLINE_PUBLIC_BURST": str(public_burst),
                "CITYCHECKUP_HOTLINE_BASE_URL": base_url,
            }
        )
        uvicorn.run(
            "citycheckup.hotline.server:app_from_env",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
            access_log=False,
        )
        return
    api = create_app(
        store=st,
        rate_limit_per_minute=rate_limit,
        public_rate_per_minute=public_rate_limit,
        public_burst=public_burst,
        base_url=base_url,
    )
    uvicorn.run(api, host=host, port=port, log_level="warning", access_log=False)


@keys_app.command("create")
def keys_create(
    role: str = typer.Option(..., help="submit | operate | admin"),
    label: str = typer.Option("", help="Who or what the key is for."),
    rate_per_minute: int = typer.Option(None, help="Own rate limit (default: the server's)."),
    burst: int = typer.Option(
        None, help="Own largest burst (default: ten seconds of its rate, or the server's)."
    ),
    valid_days: float = typer.Option(
        365, help="Days until the key expires (0: never — not recommended)."
    ),
    database: str = typer.Option(None, "--database", help=_DB_HELP),
) -> None:
    """Create an API key and print it (it is stored only as a hash; keep it safe)."""
    st = guarded(lambda: _store(database))
    key = guarded(
        lambda: st.create_key(
            role,
            label=label,
            rate_per_minute=rate_per_minute,
            burst=burst,
            valid_days=valid_days or None,
        )
    )
    typer.echo(key)


@keys_app.command("list")
def keys_list(database: str = typer.Option(None, "--database", help=_DB_HELP)) -> None:
    """List keys (prefix, role, label, created, expires, state; never the keys)."""
    from citycheckup.hotline.store import utcnow

    st = guarded(lambda: _store(database))
    now = utcnow()
    for k in st.list_keys():
        expires = k["expires_at"]
        state = (
            "revoked"
            if k["revoked_at"]
            else "expired"
            if expires is not None and expires <= now
            else "active"
        )
        typer.echo(
            f"{k['prefix']}\t{k['role']}\t{k['label']}\t{k['created_at']:%Y-%m-%d}\t"
            f"{'never expires' if expires is None else f'expires {expires:%Y-%m-%d}'}\t{state}"
        )


@keys_app.command("revoke")
def keys_revoke(
    prefix: str, database: str = typer.Option(None, "--database", help=_DB_HELP)
) -> None:
    """Revoke the key(s) with this prefix (as shown by `keys list`)."""
    st = guarded(lambda: _store(database))
    n = st.revoke_key(prefix)
    if n == 0:
        fail(
            f"no active key has the prefix {prefix!r}; a prefix is the first column of "
            "`citycheckup hotline keys list`"
        )
    typer.echo(f"revoked {n} key(s)")


@app.command()
def train(
    data: Path = typer.Option(..., exists=True, dir_okay=False, help="CSV with text and label."),
    out: Path = typer.Option(Path("hotline-model.pkl"), help="Where to write the model."),
    text_column: str = typer.Option(
        None, help="Text column (default: text/tokens/description or title+detail)."
    ),
    label_column: str = typer.Option("label", help="Label column."),
    seed: int = typer.Option(0, help="Seed of the calibration folds."),
) -> None:
    """Train the character n-gram classifier with calibrated probabilities."""
    from citycheckup.hotline import HotlineClassifier, read_training_csv

    texts, labels = guarded(
        lambda: read_training_csv(data, text_column=text_column, label_column=label_column)
    )
    clf = guarded(lambda: HotlineClassifier(random_state=seed).fit(texts, labels))
    clf.save(out)
    console.print(f"trained on {len(texts)} texts, {len(clf.classes_)} classes → {out}")


@app.command()
def evaluate(
    data: Path = typer.Option(..., exists=True, dir_okay=False, help="CSV with text and label."),
    folds: int = typer.Option(5, help="Stratified folds."),
    seed: int = typer.Option(0, help="Seed of the fold split."),
    text_column: str = typer.Option(None, help="Text column."),
    label_column: str = typer.Option("label", help="Label column."),
    out: Path = typer.Option(None, help="Write per-class figures to this CSV."),
) -> None:
    """Stratified k-fold macro-F1 and per-class precision/recall/F1."""
    from citycheckup._io import write_text_atomic
    from citycheckup.hotline import cross_validate, read_training_csv

    texts, labels = guarded(
        lambda: read_training_csv(data, text_column=text_column, label_column=label_column)
    )
    ev = guarded(lambda: cross_validate(texts, labels, folds=folds, random_state=seed))
    typer.echo(ev.summary())
    if out is not None:
        write_text_atomic(out, ev.per_class.to_csv(float_format="%.4f"))


@app.command()
def metrics(
    database: str = typer.Option(None, "--database", help=_DB_HELP),
    catalogue: Path = typer.Option(None, help="Catalogue YAML (for its timezone)."),
    by: str = typer.Option("month,district,department,category", help="Grouping columns."),
    out: Path = typer.Option(None, help="Write the rates table (CSV)."),
    indicators: Path = typer.Option(None, help="Write the smart-indicator table for `run`."),
    unit_column: str = typer.Option(None, help="Column that names units (e.g. district)."),
    unit_name: str = typer.Option(None, help="Name of the single unit (the city)."),
    unit_code: str = typer.Option(None, help="Code of the single unit (e.g. an adcode)."),
) -> None:
    """The three rates (响应率/解决率/满意率), on-time and reopen rates."""
    from citycheckup._io import write_text_atomic
    from citycheckup.hotline import indicator_table, rates, write_indicator_table

    st = guarded(lambda: _store(database, catalogue))
    df = st.dataframe()
    tz = st.catalogue.timezone
    table = guarded(
        lambda: rates(df, by=[b for b in by.split(",") if b], timezone=tz, percent=True)
    )
    if out is not None:
        write_text_atomic(out, table.to_csv(index=False, float_format="%.4f"))
    else:
        typer.echo(table.to_string(index=False))
    if indicators is not None:
        ind = guarded(
            lambda: indicator_table(
                df, unit_column=unit_column, unit_name=unit_name, unit_code=unit_code, timezone=tz
            )
        )
        write_indicator_table(ind, indicators)
        console.print(f"indicator table ({len(ind)} rows) → {indicators}")


@app.command()
def hotspots(
    database: str = typer.Option(None, "--database", help=_DB_HELP),
    method: str = typer.Option("hex", help="hex | dbscan"),
    size: float = typer.Option(500.0, help="Hexagon size or DBSCAN radius in metres."),
    min_count: int = typer.Option(5, help="Smallest hotspot."),
    out: Path = typer.Option(None, help="Write hotspots (CSV)."),
) -> None:
    """Spatial hotspots per category, and emerging (growing) categories."""
    from citycheckup._io import write_text_atomic
    from citycheckup.hotline import emerging_hotspots, spatial_hotspots

    st = guarded(lambda: _store(database))
    df = st.dataframe()
    df["category"] = df["category"].fillna(df["service_code"])
    spots = guarded(
        lambda: spatial_hotspots(
            df,
            method=method,  # type: ignore[arg-type]
            size_m=size,
            min_count=min_count,
        )
    )
    if out is not None:
        write_text_atomic(out, spots.to_csv(index=False))
    else:
        typer.echo(spots.head(30).to_string(index=False))
    em = emerging_hotspots(df)
    typer.echo(em[em["emerging"]].to_string(index=False))


@app.command()
def escalate(database: str = typer.Option(None, "--database", help=_DB_HELP)) -> None:
    """Escalate (督办) every open request past its deadline."""
    st = guarded(lambda: _store(database))
    ids = guarded(st.escalate_overdue)
    typer.echo(f"escalated {len(ids)} overdue request(s)")


@app.command()
def replay(
    baltimore: Path = typer.Option(None, exists=True, dir_okay=False, help="Baltimore 311 CSV."),
    nyc: Path = typer.Option(None, exists=True, dir_okay=False, help="NYC 311 CSV."),
    database: str = typer.Option(None, "--database", help=_DB_HELP),
    limit: int = typer.Option(None, help="At most this many rows per source."),
    catalogue_out: Path = typer.Option(None, help="Also write the replay catalogue YAML."),
    metrics_out: Path = typer.Option(None, help="Write the rates by source/district (CSV)."),
) -> None:
    """Replay 311 samples through the Open311 API (a loopback server) and compute the rates."""
    import httpx
    import yaml

    from citycheckup._io import write_text_atomic
    from citycheckup.hotline import HotlineStore, catalogue_from_mapping, rates
    from citycheckup.hotline.replay import load_baltimore, load_nyc, replay_catalogue_mapping
    from citycheckup.hotline.replay import replay as do_replay
    from citycheckup.hotline.server import BackgroundServer, create_app

    logging.getLogger("httpx").setLevel(logging.WARNING)
    if baltimore is None and nyc is None:
        raise typer.BadParameter("give --baltimore and/or --nyc")
    items = []
    if baltimore is not None:
        items += guarded(lambda: load_baltimore(baltimore, limit=limit))
    if nyc is not None:
        items += guarded(lambda: load_nyc(nyc, limit=limit))
    mapping = replay_catalogue_mapping(items)
    if catalogue_out is not None:
        write_text_atomic(
            catalogue_out, yaml.safe_dump(mapping, allow_unicode=True, sort_keys=False)
        )
    cat = guarded(lambda: catalogue_from_mapping(mapping, "<replay>"))
    st = guarded(lambda: _open(HotlineStore, _db(database), catalogue=cat))
    key = st.create_key("admin", label="replay", valid_days=1)
    with (
        BackgroundServer(
            create_app(store=st, rate_limit_per_minute=0, public_rate_per_minute=0)
        ) as url,
        httpx.Client(base_url=url, timeout=30) as client,
    ):
        res = guarded(
            lambda: do_replay(items, client, key, progress=lambda n: logger.info("replayed %d", n))
        )
    console.print(
        f"replayed {res.posted} requests and {res.transitions} transitions "
        f"({len(res.errors)} errors)"
    )
    df = st.dataframe()
    # the source of each request replayed now; requests stored earlier by their borough
    replayed = {rid: item.split(":", 1)[0] for item, rid in res.ids.items()}
    boroughs = {"Manhattan", "Brooklyn", "Queens", "Bronx", "Staten Island", "Unspecified"}
    by_district = df["district"].map(lambda d: "nyc" if d in boroughs else "baltimore")
    df["source"] = df["id"].map(replayed).fillna(by_district)
    table = rates(df, by=["source"], timezone=cat.timezone, percent=True)
    typer.echo(table.to_string(index=False))
    if metrics_out is not None:
        full = rates(df, by=["source", "month", "district"], timezone=cat.timezone, percent=True)
        write_text_atomic(metrics_out, full.to_csv(index=False, float_format="%.4f"))


def register(root: typer.Typer) -> None:
    """Add the ``hotline`` command family to the root ``citycheckup`` app."""
    root.add_typer(app, name="hotline")
