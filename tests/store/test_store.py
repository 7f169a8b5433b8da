"""The DuckDB results store: ingestion of every result kind, schema, transactions, export."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from citycheckup.store import (
    SCHEMA_VERSION,
    RunNotFoundError,
    Store,
    StoreError,
    default_store_path,
    detect_kind,
    read_run_dir,
    save_run_dir,
)

NO_DATA_DIMS = ("system", "green", "resilient", "civilized")


def test_public_api_is_sorted() -> None:
    import citycheckup.store as s

    assert s.__all__ == sorted(s.__all__)


def test_check_up_run_round_trip(result_dirs: dict[str, Path], tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    run_id = save_run_dir(db, result_dirs["run"], label="2022 check-up")
    with Store(db, read_only=True) as st:
        run = st.run(run_id)
        assert run["kind"] == "run"
        assert run["label"] == "2022 check-up"
        assert run["framework_code"] == "people_city_2025"
        assert (run["year_min"], run["year_max"], run["n_units"]) == (2020, 2022, 30)
        assert run["data_hashes"][0]["sha256"]
        assert any("normalise" in step for step in run["pipeline"])
        assert run["score_codes"][0] == "index"
        assert {"scores", "indicators", "normalised", "strengths", "rank_intervals"} <= set(
            run["tables"]
        )
        assert {"report.html", "results.xlsx"} <= {f["name"] for f in run["files"]}
        # scores: every unit-year-score, with ranks
        sc = st.query("SELECT * FROM scores WHERE run_id = ?", [run_id])
        assert len(sc) == 30 * 3 * len(run["score_codes"])
        idx = sc[sc["score"] == "index"]
        assert idx["value"].notna().all()
        assert sorted(idx.loc[idx["year"] == 2022, "rank"].astype(int)) == list(range(1, 31))
        # dimensions without data are missing, never 0
        nd = sc[sc["score"].isin(NO_DATA_DIMS)]
        assert len(nd) == 30 * 3 * len(NO_DATA_DIMS)
        assert nd["value"].isna().all() and nd["rank"].isna().all()
        # values at each stage, exactly as in the CSV
        csv = pd.read_csv(result_dirs["run"] / "indicators.csv", dtype={"unit_code": str})
        v = st.query(
            "SELECT value FROM indicator_values WHERE run_id = ? AND stage = 'raw' AND unit_code = ? "
            "AND year = 2021 AND indicator = 'gdp_per_capita'",
            [run_id, csv["unit_code"].iloc[0]],
        )
        expect = csv.loc[
            (csv["unit_code"] == csv["unit_code"].iloc[0]) & (csv["year"] == 2021), "gdp_per_capita"
        ]
        assert v["value"].iloc[0] == pytest.approx(float(expect.iloc[0]), rel=1e-12)
        stages = set(
            st.query("SELECT DISTINCT stage FROM indicator_values WHERE run_id = ?", [run_id])[
                "stage"
            ]
        )
        assert stages == {"raw", "normalised"}
        # rank intervals, strengths, coverage
        assert len(st.query("SELECT * FROM rank_intervals WHERE run_id = ?", [run_id])) == 90
        assert len(st.query("SELECT * FROM strengths WHERE run_id = ?", [run_id])) > 0
        cov = st.query("SELECT * FROM dimension_coverage WHERE run_id = ?", [run_id])
        assert set(cov.loc[cov["status"] != "scored", "dimension"]) == set(NO_DATA_DIMS)
        # every table comes back as written
        back = st.table(run_id, "scores")
        orig = pd.read_csv(result_dirs["run"] / "scores.csv", dtype={"unit_code": str})
        pd.testing.assert_frame_equal(back, orig)
        html, media = st.file(run_id, "report.html")
        assert media == "text/html" and html == (result_dirs["run"] / "report.html").read_bytes()


@pytest.mark.parametrize("kind", ["index", "sensitivity", "spatial"])
def test_kind_detection(result_dirs: dict[str, Path], kind: str) -> None:
    d = result_dirs[kind]
    assert detect_kind(d, json.loads((d / "manifest.json").read_text())) == kind
    assert detect_kind(result_dirs["run"], {}) == "run"


def test_index_sensitivity_and_spatial_results(
    result_dirs: dict[str, Path], tmp_path: Path
) -> None:
    with Store(tmp_path / "s.duckdb") as st:
        ix = st.save_run_dir(result_dirs["index"])
        sa = st.save_run_dir(result_dirs["sensitivity"])
        sp = st.save_run_dir(result_dirs["spatial"])
        r = st.run(ix)
        assert r["kind"] == "index" and r["score_codes"][0] == "Index" and r["n_units"] == 5
        assert set(
            st.query("SELECT DISTINCT stage FROM indicator_values WHERE run_id = ?", [ix])["stage"]
        ) == {"Raw", "Aggregated"}
        ranks = st.query(
            "SELECT unit_code, rank FROM scores WHERE run_id = ? AND score = 'Index' ORDER BY rank",
            [ix],
        )
        assert ranks["rank"].tolist() == [1, 2, 3, 4, 5]
        assert st.run(sa)["kind"] == "sensitivity"
        ri = st.query("SELECT * FROM rank_intervals WHERE run_id = ? ORDER BY unit_code", [sa])
        assert ri["q95"].tolist() == [2, 3, 3] and set(ri["score"]) == {"Index"}
        assert "sensitivity_indices" in st.run(sa)["tables"]
        run = st.run(sp)
        assert run["kind"] == "spatial" and run["n_units"] == 3
        assert run["data_hashes"] == [{"input": "osm", "path": "x.osm.pbf", "sha256": "ab"}]
        geo = st.query(
            "SELECT unit_code, geojson FROM geometries WHERE run_id = ? ORDER BY unit_code", [sp]
        )
        assert geo["unit_code"].tolist() == ["A", "B"]
        lon, lat = json.loads(geo["geojson"][0])["coordinates"][0][0]
        assert 110 < lon < 118 and 35 < lat < 45  # reprojected to WGS 84
        missing = st.query(
            "SELECT value FROM indicator_values WHERE run_id = ? AND unit_code = 'B' "
            "AND indicator = 'life_circle_15min'",
            [sp],
        )
        assert missing["value"].isna().all()
        assert "districts.gpkg" in {f["name"] for f in run["files"]}


def test_schema_is_versioned_and_migrated(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    with Store(db) as st:
        assert st.schema_version == SCHEMA_VERSION
        rows = st.rows("SELECT version, description FROM schema_version")
        assert [r[0] for r in rows] == list(range(1, SCHEMA_VERSION + 1))
    with Store(db) as st:  # reopening applies nothing twice
        assert len(st.rows("SELECT * FROM schema_version")) == SCHEMA_VERSION
    con = duckdb.connect(str(db))
    con.execute("INSERT INTO schema_version VALUES (99, now(), 'from the future')")
    con.close()
    with pytest.raises(StoreError, match="schema version 99, newer than this citycheckup supports"):
        Store(db)


def test_read_only_needs_an_existing_current_store(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="does not exist; save a run into it first"):
        Store(tmp_path / "none.duckdb", read_only=True)
    duckdb.connect(str(tmp_path / "old.duckdb")).close()
    with pytest.raises(StoreError, match="schema version 0, this citycheckup needs"):
        Store(tmp_path / "old.duckdb", read_only=True)
    (tmp_path / "junk.duckdb").write_text("not a database")
    with pytest.raises(StoreError, match="cannot be opened"):
        Store(tmp_path / "junk.duckdb")


def test_a_failed_run_leaves_nothing_visible(result_dirs: dict[str, Path], tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as st:
        keep = st.save_run_dir(result_dirs["index"])

        def boom() -> None:
            raise OSError("disk full")

        st._before_commit = boom
        with pytest.raises(OSError, match="disk full"):
            st.save_run_dir(result_dirs["run"])
        st._before_commit = None
        assert [r["run_id"] for r in st.list_runs()] == [keep]
        for table in (
            "units",
            "scores",
            "indicator_values",
            "run_tables",
            "run_files",
            "strengths",
        ):
            n = st.rows(f"SELECT count(*) FROM {table} WHERE run_id <> ?", [keep])[0][0]
            assert n == 0, table


def test_readers_see_no_half_written_run(result_dirs: dict[str, Path], tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as st:
        first = st.save_run_dir(result_dirs["index"])
        inside, release = threading.Event(), threading.Event()

        def pause() -> None:
            inside.set()
            assert release.wait(30)

        st._before_commit = pause
        result: dict[str, str] = {}
        writer = threading.Thread(
            target=lambda: result.setdefault("id", st.save_run_dir(result_dirs["run"]))
        )
        writer.start()
        try:
            assert inside.wait(60)
            # everything is inserted but not committed: a reader sees only the first run
            seen: list[list[str]] = []
            reader = threading.Thread(
                target=lambda: seen.append([r["run_id"] for r in st.list_runs()])
            )
            reader.start()
            reader.join(30)
            assert seen == [[first]]
            assert st.rows("SELECT count(*) FROM scores WHERE run_id <> ?", [first])[0][0] == 0
        finally:
            release.set()
            writer.join(60)
        st._before_commit = None
        assert {r["run_id"] for r in st.list_runs()} == {first, result["id"]}


def test_list_filter_sort_label_delete(result_dirs: dict[str, Path], tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as st:
        a = st.save_run_dir(result_dirs["run"], label="baseline")
        b = st.save_run_dir(result_dirs["index"], label="asem")
        assert [r["run_id"] for r in st.list_runs()] == [b, a]
        assert [r["run_id"] for r in st.list_runs(sort="stored_utc")] == [a, b]
        assert [r["run_id"] for r in st.list_runs(kind="index")] == [b]
        assert [r["run_id"] for r in st.list_runs(label="BASE")] == [a]
        assert st.count_runs(framework="people_city_2025") == 1
        assert len(st.list_runs(limit=1, offset=1)) == 1
        with pytest.raises(StoreError, match="cannot sort runs by 'manifest'"):
            st.list_runs(sort="manifest")
        st.label_run(a, "2022 annual")
        assert st.run(a)["label"] == "2022 annual"
        g = st.generation
        st.delete_run(b)
        assert st.generation == g + 1
        assert not st.has_run(b)
        assert st.rows("SELECT count(*) FROM indicator_values WHERE run_id = ?", [b])[0][0] == 0
        with pytest.raises(RunNotFoundError, match="no run 'nope' in the store; list the runs"):
            st.delete_run("nope")


def test_diff_between_runs(result_dirs: dict[str, Path], tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as st:
        a = st.save_run_dir(result_dirs["run"])
        b = st.save_run_dir(result_dirs["run_equal"])
        same = st.diff_runs(a, a)
        assert len(same) == 30 and (same["rank_change"] == 0).all() and same.attrs["year"] == 2022
        d = st.diff_runs(a, b, score="index", year=2021)
        assert len(d) == 30
        ra = st.query(
            "SELECT unit_code, rank FROM scores WHERE run_id = ? AND score = 'index' AND year = 2021",
            [a],
        )
        rb = st.query(
            "SELECT unit_code, rank FROM scores WHERE run_id = ? AND score = 'index' AND year = 2021",
            [b],
        )
        m = ra.merge(rb, on="unit_code", suffixes=("_a", "_b")).set_index("unit_code")
        got = d.set_index("unit_code")["rank_change"]
        assert (got == (m["rank_a"] - m["rank_b"]).reindex(got.index)).all()


@pytest.mark.parametrize("fmt", ["parquet", "csv", "xlsx"])
def test_export(result_dirs: dict[str, Path], tmp_path: Path, fmt: str) -> None:
    with Store(tmp_path / "s.duckdb") as st:
        rid = st.save_run_dir(result_dirs["run"])
        paths = st.export(rid, tmp_path / "out", fmt=fmt, tables=["scores", "coverage"])  # type: ignore[arg-type]
        orig = pd.read_csv(result_dirs["run"] / "scores.csv", dtype={"unit_code": str})
        if fmt == "parquet":
            back = pd.read_parquet(tmp_path / "out" / "scores.parquet")
        elif fmt == "csv":
            back = pd.read_csv(tmp_path / "out" / "scores.csv", dtype={"unit_code": str})
        else:
            assert paths == [tmp_path / "out" / f"{rid}.xlsx"]
            back = pd.read_excel(paths[0], sheet_name="scores", dtype={"unit_code": str})
        pd.testing.assert_frame_equal(back, orig, check_dtype=False)
        with pytest.raises(StoreError, match="has no table.*nope"):
            st.export(rid, tmp_path / "x", tables=["nope"])
        with pytest.raises(StoreError, match="unknown export format 'json'"):
            st.export(rid, tmp_path / "x", fmt="json")  # type: ignore[arg-type]


def test_errors_name_the_problem(tmp_path: Path, result_dirs: dict[str, Path]) -> None:
    with pytest.raises(StoreError, match="no such result directory"):
        read_run_dir(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(StoreError, match="not a citycheckup result directory"):
        read_run_dir(tmp_path / "empty")
    with pytest.raises(StoreError, match="unknown kind 'banana'"):
        read_run_dir(result_dirs["run"], kind="banana")
    with pytest.raises(StoreError, match="a check-up run needs scores"):
        read_run_dir(result_dirs["index"], kind="run")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "scores.csv").write_text("unit_code,index\n1,2\n")
    (bad / "manifest.json").write_text("{broken")
    with pytest.raises(StoreError, match="manifest.json: invalid JSON"):
        read_run_dir(bad)


def test_default_store_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, result_dirs: dict[str, Path]
) -> None:
    monkeypatch.delenv("CITYCHECKUP_STORE", raising=False)
    assert default_store_path() == Path("citycheckup.duckdb")
    monkeypatch.setenv("CITYCHECKUP_STORE", str(tmp_path / "env.duckdb"))
    assert default_store_path() == tmp_path / "env.duckdb"
    assert default_store_path(tmp_path / "x.duckdb") == tmp_path / "x.duckdb"
    rid = save_run_dir(None, result_dirs["sensitivity"])
    with Store(tmp_path / "env.duckdb", read_only=True) as st:
        assert st.has_run(rid)
