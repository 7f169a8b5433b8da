"""Replay of the Baltimore and NYC 311 samples through the API; the CLI end to end;
the import boundaries of the hotline core."""

from __future__ import annotations

import math
import subprocess
import sys

import httpx
import pandas as pd
import pytest
from typer.testing import CliRunner

from citycheckup.cli import app as cli_app
from citycheckup.hotline import HotlineStore, catalogue_from_mapping, rates
from citycheckup.hotline.replay import load_baltimore, load_nyc, replay, replay_catalogue_mapping
from citycheckup.hotline.server import BackgroundServer, create_app
from tests.hotline._helpers import DATA

runner = CliRunner()


@pytest.mark.shared
def test_replay_us311_samples_through_the_api(shared_data, tmp_path) -> None:  # type: ignore[no-untyped-def]
    us = shared_data / "hotline/us311"
    items = load_baltimore(us / "baltimore_311_sample10k.csv", limit=400) + load_nyc(
        us / "nyc_311_2022-05-01_924rows.csv", limit=300
    )
    assert len(items) == 700
    cat = catalogue_from_mapping(replay_catalogue_mapping(items), "<replay>")
    st = HotlineStore(f"sqlite:///{tmp_path / 'replay.db'}", catalogue=cat)
    key = st.create_key("admin", label="replay")
    with (
        BackgroundServer(create_app(store=st, rate_limit_per_minute=0)) as url,
        httpx.Client(base_url=url, timeout=30) as client,
    ):
        res = replay(items, client, key)
        # a second run stores nothing new (idempotency keys), transitions are refused
        again = client.post(
            "/open311/v2/requests.json",
            data={**items[0].form, "api_key": key},
            headers={"Idempotency-Key": f"{items[0].source}:{items[0].source_id}"},
        )
        assert (
            int(again.json()[0]["service_request_id"])
            == res.ids[f"{items[0].source}:{items[0].source_id}"]
        )
    assert res.posted == 700 and st.count() == 700
    assert res.transitions >= 0.9 * sum(len(i.transitions) for i in items)
    df = st.dataframe()
    df["source"] = [
        "nyc" if d in ("Manhattan", "Brooklyn", "Queens", "Bronx", "Staten Island") else "baltimore"
        for d in df["district"]
    ]
    r = rates(df, by=["source"], timezone=cat.timezone, percent=True).set_index("source")
    for src in ("baltimore", "nyc"):
        for col in ("response_rate", "resolution_rate", "ontime_rate"):
            assert 0 <= r.loc[src, col] <= 100, (src, col)
        assert math.isnan(r.loc[src, "satisfaction_rate"])  # no citizen ratings in 311 data
    assert r.loc["baltimore", "n_duplicate"] > 0
    # Baltimore's own figure: 83.6 % of 9,555 closed rows closed on or before DueDate
    assert 70 <= r.loc["baltimore", "ontime_rate"] <= 95
    channels = set(df["channel"])
    assert {"phone", "internal"} <= channels  # internal = proactive (未诉先办)


def test_cli_keys_train_evaluate_metrics(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    r = runner.invoke(cli_app, ["hotline", "keys", "create", "--role", "submit", "--database", db])
    assert r.exit_code == 0, r.output
    key = r.output.strip().splitlines()[-1]
    assert key.startswith("ck_") and len(key) > 40
    r = runner.invoke(cli_app, ["hotline", "keys", "create", "--role", "king", "--database", db])
    assert r.exit_code == 2 and "choose one of" in r.output
    listed = runner.invoke(cli_app, ["hotline", "keys", "list", "--database", db])
    assert key[:11] in listed.output and key not in listed.output
    model = tmp_path / "m.pkl"
    r = runner.invoke(
        cli_app,
        ["hotline", "train", "--data", str(DATA / "synthetic_messages.csv"), "--out", str(model)],
    )
    assert r.exit_code == 0 and model.exists(), r.output
    r = runner.invoke(
        cli_app,
        [
            "hotline",
            "evaluate",
            "--data",
            str(DATA / "synthetic_messages.csv"),
            "--folds",
            "3",
            "--out",
            str(tmp_path / "pc.csv"),
        ],
    )
    assert r.exit_code == 0 and "macro-F1" in r.output, r.output
    assert set(pd.read_csv(tmp_path / "pc.csv")["category"]) == {"城乡建设", "环境保护", "交通运输"}
    # metrics on a store with a few requests
    from citycheckup.hotline.store import NewRequest

    st = HotlineStore(db)
    sub = st.authenticate(key)
    for i in range(3):
        st.create_request(NewRequest("bus", address_id=str(i), district="A1区"), sub)
    st.close()
    out, ind = tmp_path / "rates.csv", tmp_path / "smart.csv"
    r = runner.invoke(
        cli_app,
        [
            "hotline",
            "metrics",
            "--database",
            db,
            "--out",
            str(out),
            "--indicators",
            str(ind),
            "--unit-column",
            "district",
        ],
    )
    assert r.exit_code == 0, r.output
    table = pd.read_csv(ind)
    assert list(table.columns) == [
        "unit_name",
        "year",
        "hotline_response_rate",
        "hotline_resolution_rate",
        "hotline_satisfaction_rate",
        "hotline_ontime_rate",
    ]
    assert table.loc[0, "unit_name"] == "A1区"
    assert "n_requests" in pd.read_csv(out).columns
    r = runner.invoke(cli_app, ["hotline", "escalate", "--database", db])
    assert r.exit_code == 0 and "escalated 0" in r.output
    r = runner.invoke(cli_app, ["hotline", "hotspots", "--database", db, "--min-count", "1"])
    assert r.exit_code == 0, r.output


def test_cli_bad_training_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y\n1,2\n", encoding="utf-8")
    r = runner.invoke(cli_app, ["hotline", "train", "--data", str(bad)])
    assert r.exit_code == 2 and "training data is unusable" in r.output


def test_core_does_not_import_cli_or_fastapi() -> None:
    code = (
        "import sys, citycheckup.hotline as h, citycheckup.hotline.replay, "
        "citycheckup.hotline.loadgen, citycheckup.hotline.open311\n"
        "bad = [m for m in sys.modules if m.startswith(('fastapi', 'starlette', 'uvicorn', "
        "'citycheckup.cli'))]\n"
        "assert not bad, bad\n"
        "assert h.__all__ == sorted(h.__all__)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
