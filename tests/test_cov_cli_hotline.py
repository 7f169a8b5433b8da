"""``citycheckup hotline …`` end to end through typer's runner (issue 18, item 4).

Every database here is a fresh SQLite file in the test's temporary folder, filled with a
few synthetic requests whose expected rates, hotspots and escalations are derived by hand
in each test. ``serve`` is checked without binding a port: ``uvicorn.run`` is replaced by a
recorder, so the test sees exactly what would be served.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from citycheckup.cli import app
from citycheckup.hotline import HotlineStore
from citycheckup.hotline.store import NewRequest

runner = CliRunner()


def _flat(text: str) -> str:
    """Output with rich's line wrapping undone (every run of whitespace → one space)."""
    return " ".join(text.split())


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'hotline.db'}"


def _admin(st: HotlineStore) -> Any:
    return st.authenticate(st.create_key("admin", label="test"))


# -- keys ---------------------------------------------------------------------------------------
def test_keys_create_list_expire_revoke(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    r = runner.invoke(
        app,
        ["hotline", "keys", "create", "--role", "submit", "--label", "窗口1",
         "--valid-days", "30", "--database", db],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    k1 = r.output.strip().splitlines()[-1]
    r = runner.invoke(
        app, ["hotline", "keys", "create", "--role", "admin", "--valid-days", "0", "--database", db]
    )
    assert r.exit_code == 0, r.output
    k2 = r.output.strip().splitlines()[-1]
    st = HotlineStore(db)
    created = [k["created_at"] for k in st.list_keys()]
    st.close()

    r = runner.invoke(app, ["hotline", "keys", "list", "--database", db])
    assert r.exit_code == 0, r.output
    # one tab-separated line per key: prefix, role, label, created, expiry, state; never the key
    assert r.output.splitlines() == [
        f"{k1[:11]}\tsubmit\t窗口1\t{created[0]:%Y-%m-%d}\t"
        f"expires {created[0] + dt.timedelta(days=30):%Y-%m-%d}\tactive",
        f"{k2[:11]}\tadmin\t\t{created[1]:%Y-%m-%d}\tnever expires\tactive",  # 0 days: never
    ]
    assert k1 not in r.output and k2 not in r.output

    # 31 days on: the 30-day key has expired, the never-expiring one is still active
    import citycheckup.hotline.store as store_mod

    later = created[1] + dt.timedelta(days=31)
    monkeypatch.setattr(store_mod, "utcnow", lambda: later)
    r = runner.invoke(app, ["hotline", "keys", "list", "--database", db])
    assert [line.rsplit("\t", 1)[1] for line in r.output.splitlines()] == ["expired", "active"]
    # exactly at its expiry the key counts as expired (expires <= now)
    monkeypatch.setattr(store_mod, "utcnow", lambda: created[0] + dt.timedelta(days=30))
    r = runner.invoke(app, ["hotline", "keys", "list", "--database", db])
    assert r.output.splitlines()[0].endswith("\texpired")
    monkeypatch.setattr(
        store_mod, "utcnow", lambda: created[0] + dt.timedelta(days=30, microseconds=-1)
    )
    r = runner.invoke(app, ["hotline", "keys", "list", "--database", db])
    assert r.output.splitlines()[0].endswith("\tactive")

    r = runner.invoke(app, ["hotline", "keys", "revoke", k1[:11], "--database", db])
    assert r.exit_code == 0 and r.output.strip() == "revoked 1 key(s)", r.output
    r = runner.invoke(app, ["hotline", "keys", "list", "--database", db])
    assert r.output.splitlines()[0].endswith("\trevoked")  # revoked wins over expired
    st = HotlineStore(db)
    assert st.authenticate(k1) is None and st.authenticate(k2) is not None
    st.close()


def test_revoking_an_unknown_prefix_is_an_error(db: str) -> None:
    """Before the fix this printed "revoked 0 key(s)" and exited 0: a mistyped prefix
    looked like success while the key stayed valid."""
    key = runner.invoke(app, ["hotline", "keys", "create", "--role", "operate", "--database", db])
    k = key.output.strip().splitlines()[-1]
    r = runner.invoke(app, ["hotline", "keys", "revoke", "ck_typo", "--database", db])
    assert r.exit_code == 2
    assert _flat(r.output) == (
        "error: no active key has the prefix 'ck_typo'; a prefix is the first column of "
        "`citycheckup hotline keys list`"
    )
    # revoking twice: the second time nothing is active under that prefix any more
    assert (
        runner.invoke(app, ["hotline", "keys", "revoke", k[:11], "--database", db]).exit_code == 0
    )
    r = runner.invoke(app, ["hotline", "keys", "revoke", k[:11], "--database", db])
    assert r.exit_code == 2 and f"no active key has the prefix '{k[:11]}'" in _flat(r.output)


def test_keys_create_reports_every_bad_value_and_stores_nothing(db: str) -> None:
    r = runner.invoke(
        app,
        ["hotline", "keys", "create", "--role", "king", "--rate-per-minute", "-1",
         "--burst", "0", "--valid-days", "-2", "--database", db],
    )  # fmt: skip
    assert r.exit_code == 2
    assert _flat(r.output) == (
        "error: HotlineError unknown role 'king'; choose one of submit, operate, admin; "
        "rate_per_minute must be 0 (no limit) or more, got -1; burst must be at least 1, "
        "got 0; valid_days must be between 0 and 36500, got -2.0"
    )
    st = HotlineStore(db)
    assert st.list_keys() == []
    st.close()


@pytest.mark.parametrize(
    ("url", "shown", "reason"),
    [
        ("notaurl", "'notaurl'", "Could not parse SQLAlchemy URL"),
        # a folder that does not exist (short, so that rich does not wrap inside it)
        ("sqlite:////no/such/dir/h.db", "'sqlite:////no/such/dir/h.db'",
         "unable to open database file"),
    ],
)  # fmt: skip
def test_a_database_that_cannot_be_opened_is_a_clear_error(
    url: str, shown: str, reason: str
) -> None:
    """Before the fix both ended in a SQLAlchemy traceback and exit code 1."""
    for cmd in (["keys", "list"], ["metrics"], ["escalate"]):
        r = runner.invoke(app, ["hotline", *cmd, "--database", url])
        assert r.exit_code == 2, (cmd, r.output)
        out = _flat(r.output)
        assert out.startswith(f"error: HotlineError cannot open the hotline database {shown}")
        assert reason in out
        assert "give --database or CITYCHECKUP_HOTLINE_DB as a SQLAlchemy URL" in out
    assert not Path("/no/such/dir/h.db").exists()


def test_database_password_is_never_printed() -> None:
    from citycheckup.cli.hotline import _open
    from citycheckup.errors import HotlineError

    def refuse(url: str) -> None:
        import sqlalchemy as sa

        raise sa.exc.ArgumentError("refused")

    with pytest.raises(HotlineError) as ei:
        _open(refuse, "postgresql+psycopg://bob:s3cr%40t@db.example:5432/h")
    assert "s3cr" not in str(ei.value)
    assert "'postgresql+psycopg://bob:***@db.example:5432/h' (refused)" in str(ei.value)


def test_database_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'env.db'}"
    monkeypatch.setenv("CITYCHECKUP_HOTLINE_DB", url)
    r = runner.invoke(app, ["hotline", "keys", "create", "--role", "submit"])
    assert r.exit_code == 0, r.output
    st = HotlineStore(url)
    assert [k["role"] for k in st.list_keys()] == ["submit"]
    st.close()


# -- serve (uvicorn replaced by a recorder) -------------------------------------------------------
_ENV = (
    "CITYCHECKUP_HOTLINE_DB",
    "CITYCHECKUP_HOTLINE_CATALOGUE",
    "CITYCHECKUP_HOTLINE_MODEL",
    "CITYCHECKUP_HOTLINE_RATE_LIMIT",
    "CITYCHECKUP_HOTLINE_PUBLIC_RATE_LIMIT",
    "CITYCHECKUP_HOTLINE_PUBLIC_BURST",
    "CITYCHECKUP_HOTLINE_BASE_URL",
)


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    import uvicorn

    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: calls.append((a, k)))
    for name in _ENV:  # restored after the test whatever serve sets
        monkeypatch.delenv(name, raising=False)
    return calls


def test_serve_one_worker_builds_the_app_with_the_given_limits(
    db: str, tmp_path: Path, served: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import citycheckup.hotline.server as server

    made: list[dict[str, Any]] = []

    def create_app(**kwargs: Any) -> str:
        made.append(kwargs)
        return "the-app"

    monkeypatch.setattr(server, "create_app", create_app)
    r = runner.invoke(
        app,
        ["hotline", "serve", "--host", "0.0.0.0", "--port", "18311", "--database", db,
         "--rate-limit", "5", "--public-rate-limit", "7", "--public-burst", "9",
         "--base-url", "https://311.example.gov"],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    (kw,) = made
    assert kw["store"].database_url == db
    assert {k: v for k, v in kw.items() if k != "store"} == {
        "rate_limit_per_minute": 5,
        "public_rate_per_minute": 7,
        "public_burst": 9,
        "base_url": "https://311.example.gov",
    }
    assert served == [
        (
            ("the-app",),
            {"host": "0.0.0.0", "port": 18311, "log_level": "warning", "access_log": False},
        )
    ]
    assert (tmp_path / "hotline.db").is_file()  # migrated before serving
    import os

    assert all(name not in os.environ for name in _ENV)  # one worker: nothing exported


def test_serve_several_workers_hands_the_settings_over_in_the_environment(
    db: str, tmp_path: Path, served: list[Any]
) -> None:
    import os

    from citycheckup.hotline.catalogue import builtin_catalogue_path

    cat = builtin_catalogue_path()

    r = runner.invoke(
        app,
        ["hotline", "serve", "--workers", "3", "--port", "18312", "--database", db,
         "--catalogue", str(cat), "--rate-limit", "0"],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    assert served == [
        (
            ("citycheckup.hotline.server:app_from_env",),
            {"factory": True, "host": "127.0.0.1", "port": 18312, "workers": 3,
             "log_level": "warning", "access_log": False},
        )
    ]  # fmt: skip
    assert {n: os.environ[n] for n in _ENV} == {
        "CITYCHECKUP_HOTLINE_DB": db,
        "CITYCHECKUP_HOTLINE_CATALOGUE": str(cat),
        "CITYCHECKUP_HOTLINE_MODEL": "",
        "CITYCHECKUP_HOTLINE_RATE_LIMIT": "0",
        "CITYCHECKUP_HOTLINE_PUBLIC_RATE_LIMIT": "600",  # the defaults
        "CITYCHECKUP_HOTLINE_PUBLIC_BURST": "120",
        "CITYCHECKUP_HOTLINE_BASE_URL": "",
    }


def test_serve_with_a_missing_catalogue_stops_before_serving(
    db: str, tmp_path: Path, served: list[Any]
) -> None:
    missing = tmp_path / "nope.yaml"
    r = runner.invoke(app, ["hotline", "serve", "--catalogue", str(missing), "--database", db])
    assert r.exit_code == 2
    out = _flat(r.output)
    assert out.startswith("error: HotlineError")
    assert f"cannot read dispatch catalogue {missing}" in out and "check the path" in out
    assert served == []
    assert not (tmp_path / "hotline.db").exists()  # nothing created for a refused start


# -- metrics, hotspots, escalate on synthetic requests ------------------------------------------
T0 = dt.datetime(2026, 3, 2, 8, 0)  # synthetic requests: Monday 2 March 2026, 08:00 UTC


def _fill(db: str) -> HotlineStore:
    """Synthetic store: three bus requests (交通运输) and one garbage request (环境保护),
    all made at T0 with a two-hour response deadline (T0 + 2 h, the catalogue's default).

    bus #1 accepted at T0 + 1 h (on time), bus #2 at T0 + 3 h (late), bus #3 never;
    garbage #4 never.  By hand: 交通运输 response rate = 1 on time / 3 due = 33.3333 %;
    环境保护 = 0 / 1 = 0 %.
    """
    st = HotlineStore(db)
    admin = _admin(st)
    ids = [
        st.create_request(
            NewRequest(code, lat=30.69, long=111.29, district="西陵区", requested_at=T0), admin
        ).id
        for code in ("bus", "bus", "bus", "garbage")
    ]
    st.transition(ids[0], "accept", admin, at=T0 + dt.timedelta(hours=1))
    st.transition(ids[1], "accept", admin, at=T0 + dt.timedelta(hours=3))
    return st


def test_metrics_prints_the_hand_derived_response_rates(db: str) -> None:
    _fill(db).close()
    r = runner.invoke(app, ["hotline", "metrics", "--database", db, "--by", "category"])
    assert r.exit_code == 0, r.output
    table = pd.read_csv(io.StringIO(r.output), sep=r"\s+").set_index("category")
    assert table.loc["交通运输", "n_requests"] == 3 and table.loc["环境保护", "n_requests"] == 1
    assert table.loc["交通运输", "n_response_due"] == 3
    assert table.loc["交通运输", "n_responded_on_time"] == 1
    assert table.loc["交通运输", "response_rate"] == pytest.approx(100 / 3, abs=1e-3)
    assert table.loc["环境保护", "response_rate"] == 0.0
    # no request is resolved or rated: those rates are undefined, shown as NaN, not 0
    assert math.isnan(table["satisfaction_rate"].to_dict()["交通运输"])


def test_metrics_with_an_unknown_grouping_column_is_an_error(db: str, tmp_path: Path) -> None:
    _fill(db).close()
    out = tmp_path / "rates.csv"
    r = runner.invoke(
        app, ["hotline", "metrics", "--database", db, "--by", "month,colour", "--out", str(out)]
    )
    assert r.exit_code == 2
    assert "colour" in r.output and r.output.startswith("error: HotlineError")
    assert not out.exists()  # nothing half-written


def _hotspot_store(db: str) -> None:
    """Synthetic: six bus requests at one point (30.69 N, 111.29 E), two garbage requests
    at another (30.75 N, 111.35 E), all on 2 March 2026.

    By hand, with min_count 5: one hotspot, 交通运输 with count 6 (excess 6 / 6 = 1.0);
    环境保护 (2 < 5) is not one.  Emerging: the latest week holds all six bus requests and
    the four weeks before none, so p = P(X ≥ 6), X ~ Poisson(0.5) = 1.4e-5 < 0.01 and
    6 ≥ 5 → emerging; garbage has 2 < 5 → not emerging.
    """
    st = HotlineStore(db)
    admin = _admin(st)
    for i in range(6):
        st.create_request(
            NewRequest("bus", lat=30.69, long=111.29, requested_at=T0 + dt.timedelta(minutes=i)),
            admin,
        )
    for i in range(2):
        st.create_request(
            NewRequest("garbage", lat=30.75, long=111.35, requested_at=T0 + dt.timedelta(hours=i)),
            admin,
        )
    st.close()


def test_hotspots_hex_to_a_file_and_emerging_categories(db: str, tmp_path: Path) -> None:
    _hotspot_store(db)
    out = tmp_path / "spots.csv"
    r = runner.invoke(app, ["hotline", "hotspots", "--database", db, "--out", str(out)])
    assert r.exit_code == 0, r.output
    spots = pd.read_csv(out)
    assert spots[["category", "count", "excess"]].to_dict("records") == [
        {"category": "交通运输", "count": 6, "excess": 1.0}
    ]
    # the hexagon's centre lies within its circumradius (500 m) of the six requests
    dy = (spots["lat"].to_numpy(dtype=float)[0] - 30.69) * 111_195
    dx = (spots["long"].to_numpy(dtype=float)[0] - 111.29) * 111_195 * math.cos(math.radians(30.69))
    assert math.hypot(dx, dy) <= 500
    lines = r.output.strip().splitlines()  # the emerging table on stdout
    assert lines[0].split() == ["category", "count", "baseline", "ratio", "p_value", "emerging"]
    assert len(lines) == 2 and lines[1].split()[:3] == ["交通运输", "6", "0.0"]


def test_hotspots_dbscan_on_stdout(db: str) -> None:
    """DBSCAN (radius 100 m, at least 5): the six identical points form cluster 0, centred
    exactly on them; the two garbage points are noise."""
    _hotspot_store(db)
    r = runner.invoke(
        app, ["hotline", "hotspots", "--database", db, "--method", "dbscan", "--size", "100"]
    )
    assert r.exit_code == 0, r.output
    lines = r.output.strip().splitlines()
    assert lines[0].split() == ["category", "cell", "lat", "long", "count", "excess"]
    assert lines[1].split() == ["交通运输", "cluster0", "30.69", "111.29", "6", "1.0"]


def test_hotspots_unknown_method(db: str) -> None:
    _hotspot_store(db)
    r = runner.invoke(app, ["hotline", "hotspots", "--database", db, "--method", "grid"])
    assert r.exit_code == 2
    assert _flat(r.output) == (
        "error: HotlineError unknown hotspot method 'grid'; choose hex or dbscan"
    )


def test_escalate_only_open_requests_past_their_deadline(db: str) -> None:
    """Synthetic: request 1 due 9 March 2026 (past), request 2 due 1 January 2100.
    By hand: the first run escalates 1 (request 1), the second none (already escalated)."""
    st = HotlineStore(db)
    admin = _admin(st)
    past = st.create_request(
        NewRequest("bus", requested_at=T0, expected_at=T0 + dt.timedelta(days=7)), admin
    ).id
    st.create_request(
        NewRequest("bus", requested_at=T0, expected_at=dt.datetime(2100, 1, 1)), admin
    )
    st.close()
    r = runner.invoke(app, ["hotline", "escalate", "--database", db])
    assert r.exit_code == 0 and r.output.strip() == "escalated 1 overdue request(s)", r.output
    st = HotlineStore(db)
    esc = st.dataframe().set_index("id")["escalated"].to_dict()
    st.close()
    assert esc == {past: True, past + 1: False}
    r = runner.invoke(app, ["hotline", "escalate", "--database", db])
    assert r.output.strip() == "escalated 0 overdue request(s)"


# -- train, replay: refusals ---------------------------------------------------------------------
def test_train_with_a_missing_label_column_writes_no_model(tmp_path: Path) -> None:
    data = tmp_path / "m.csv"
    data.write_text("text,类别\n路灯不亮,城乡建设\n", encoding="utf-8")  # synthetic
    model = tmp_path / "m.pkl"
    r = runner.invoke(app, ["hotline", "train", "--data", str(data), "--out", str(model)])
    assert r.exit_code == 2
    # compared without whitespace: rich may wrap the long temporary path anywhere
    assert "".join(r.output.split()) == "".join(
        f"error: DataError training data is unusable: - {data}: no label column 'label'; "
        "columns: ['text', '类别']".split()
    )
    assert not model.exists()


def test_replay_needs_a_source() -> None:
    r = runner.invoke(app, ["hotline", "replay"])
    assert r.exit_code == 2
    assert "give --baltimore and/or --nyc" in r.output


# -- replay on synthetic 311 extracts ------------------------------------------------------------
BALTIMORE = (
    "ServiceRequestNum,SRType,MethodReceived,CreatedDate,SRStatus,StatusDate,DueDate,"
    "CloseDate,Agency,CouncilDistrict,Latitude,Longitude,Address,ZipCode\n"
    "26-0001,SW-Dirty Alley,Phone,03/02/2026 08:00:00 AM,Closed,03/02/2026 10:00:00 AM,"
    '03/05/2026 08:00:00 AM,03/02/2026 10:00:00 AM,Solid Waste,6,39.30,-76.60,"1 MAIN ST",21215\n'
    "26-0002,SW-Dirty Alley,Internet,03/02/2026 09:00:00 AM,Pending,03/02/2026 09:30:00 AM,"
    '03/03/2026 09:00:00 AM,,Solid Waste,6,39.31,-76.61,"2 MAIN ST",21215\n'
)
NYC = (
    "Unique Key,Created Date,Closed Date,Agency,Complaint Type,Descriptor,Status,"
    "Resolution Description,Resolution Action Updated Date,Borough,Latitude,Longitude,"
    "Incident Address,Incident Zip,Open Data Channel Type\n"
    "1001,03/02/2026 12:00:03 AM,03/02/2026 02:00:00 AM,NYPD,Noise - Residential,"
    'Loud Music/Party,Closed,"The Police Department responded to the complaint and took '
    'action to fix the condition.",03/02/2026 02:00:00 AM,BRONX,40.83,-73.92,'
    "1006 GERARD AVENUE,10452,ONLINE\n"
    "1002,03/02/2026 01:00:00 AM,,DOT,Street Condition,Pothole,Open,,,,40.70,-73.90,,,PHONE\n"
)


def test_replay_of_synthetic_extracts(tmp_path: Path) -> None:
    """Synthetic Baltimore and NYC extracts, two rows each.  By hand:

    * transitions: B 26-0001 closed → resolve (solved); B 26-0002 pending → accept;
      NYC 1001 closed, its action stamped at the closing time → resolve only (solved);
      NYC 1002 open, no action → none.  4 requests, 3 transitions, 0 errors.
    * sources: 2 Baltimore, 2 NYC — NYC 1002 has no borough, and before the fix it was
      counted as Baltimore (the source was guessed from the district).
    * catalogue deadlines: sw_dirty_alley due after 72 h and 24 h → median 48 hours;
      the NYC types have no due date → the default, 1 day.
    """
    import yaml

    b, n = tmp_path / "baltimore.csv", tmp_path / "nyc.csv"
    b.write_text(BALTIMORE, encoding="utf-8")
    n.write_text(NYC, encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'replay.db'}"
    cat_out, met_out = tmp_path / "replay.yaml", tmp_path / "rates.csv"
    r = runner.invoke(
        app,
        ["hotline", "replay", "--baltimore", str(b), "--nyc", str(n), "--database", db,
         "--catalogue-out", str(cat_out), "--metrics-out", str(met_out)],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "replayed 4 requests and 3 transitions (0 errors)" in _flat(r.output)
    lines = [ln.split() for ln in r.output.splitlines()]
    header = next(ln for ln in lines if ln[:2] == ["source", "n_requests"])
    rows = {
        ln[0]: dict(zip(header, ln, strict=True))
        for ln in lines
        if ln and ln[0] in ("baltimore", "nyc")
    }
    assert rows["baltimore"]["n_requests"] == "2" and rows["nyc"]["n_requests"] == "2"
    assert rows["baltimore"]["n_solved"] == "1" and rows["nyc"]["n_solved"] == "1"

    services = {
        s["service_code"]: s for s in yaml.safe_load(cat_out.read_text("utf-8"))["services"]
    }
    assert sorted(services) == ["noise_residential", "street_condition", "sw_dirty_alley"]
    assert services["sw_dirty_alley"]["deadline"] == {"amount": 48, "unit": "hours"}
    assert services["street_condition"]["deadline"] == {"amount": 1, "unit": "days"}
    assert services["noise_residential"]["department"] == "NYPD"

    full = pd.read_csv(met_out)
    assert full.groupby("source")["n_requests"].sum().to_dict() == {"baltimore": 2, "nyc": 2}
    assert set(full["month"]) == {"2026-03"}


def test_replay_of_a_file_in_the_wrong_layout(tmp_path: Path) -> None:
    bad = tmp_path / "nyc.csv"
    bad.write_text("Unique Key,Created Date\n1,03/02/2026 01:00:00 AM\n", encoding="utf-8")
    db_file = tmp_path / "replay.db"
    r = runner.invoke(
        app, ["hotline", "replay", "--nyc", str(bad), "--database", f"sqlite:///{db_file}"]
    )
    assert r.exit_code == 2
    out = _flat(r.output)
    assert out.startswith("error: DataError nyc.csv is not in the expected layout")
    assert "nyc.csv: missing column 'Closed Date'" in out and "missing column 'Borough'" in out
    assert not db_file.exists()  # refused before anything was stored
