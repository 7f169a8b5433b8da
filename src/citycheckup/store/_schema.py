"""Schema of the results store and its migrations.

Each migration is a list of SQL statements that moves the schema from version
``n - 1`` to ``n``; :func:`migrate` applies the missing ones in one transaction and
records each in ``schema_version``. Never edit a released migration: append a new one.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

log = logging.getLogger(__name__)

#: Tables of the 12345 link (``citycheckup.inventory.hotline_link``); idempotent, so a store
#: migrated before version 3 and written by a version that created them lazily stays valid.
HOTLINE_DDL = (
    """CREATE TABLE IF NOT EXISTS inv_hotline_candidates (
    candidate_id VARCHAR NOT NULL, unit_code VARCHAR NOT NULL, year INTEGER NOT NULL,
    level VARCHAR NOT NULL, problem_type VARCHAR NOT NULL, indicator VARCHAR, sub_item VARCHAR,
    name_zh VARCHAR, name_en VARCHAR, sub_item_zh VARCHAR, sub_item_en VARCHAR,
    register VARCHAR NOT NULL, register_id VARCHAR NOT NULL, place_name VARCHAR,
    community_id VARCHAR, block_id VARCHAR, n_tickets INTEGER NOT NULL, threshold INTEGER NOT NULL,
    ticket_ids VARCHAR NOT NULL, first_ticket_date DATE, last_ticket_date DATE, lon DOUBLE,
    lat DOUBLE, status VARCHAR NOT NULL, import_id VARCHAR NOT NULL
)""",
    """CREATE TABLE IF NOT EXISTS inv_ticket_links (
    problem_id VARCHAR NOT NULL, unit_code VARCHAR NOT NULL, ticket_id BIGINT NOT NULL,
    note VARCHAR, actor VARCHAR, linked_utc TIMESTAMP NOT NULL
)""",
)

# version → (description, statements)
MIGRATIONS: dict[int, tuple[str, list[str]]] = {
    1: (
        "initial schema: runs, units, scores, values, grades, intervals, diagnosis, tables, files",
        [
            """CREATE TABLE runs (
            run_id VARCHAR PRIMARY KEY,
            kind VARCHAR NOT NULL,
            label VARCHAR,
            created_utc TIMESTAMP,
            stored_utc TIMESTAMP NOT NULL,
            framework_code VARCHAR,
            framework_version VARCHAR,
            package_version VARCHAR,
            source VARCHAR,
            n_units INTEGER,
            year_min INTEGER,
            year_max INTEGER,
            score_codes VARCHAR[],
            manifest VARCHAR,
            data_hashes VARCHAR,
            pipeline VARCHAR,
            parameters VARCHAR
        )""",
            """CREATE TABLE units (
            run_id VARCHAR NOT NULL, unit_code VARCHAR NOT NULL, unit_name VARCHAR,
            province VARCHAR, province_code VARCHAR, size_class VARCHAR
        )""",
            """CREATE TABLE scores (
            run_id VARCHAR NOT NULL, unit_code VARCHAR NOT NULL, year INTEGER,
            score VARCHAR NOT NULL, value DOUBLE, rank DOUBLE
        )""",
            """CREATE TABLE indicator_values (
            run_id VARCHAR NOT NULL, unit_code VARCHAR NOT NULL, year INTEGER,
            stage VARCHAR NOT NULL, indicator VARCHAR NOT NULL, value DOUBLE
        )""",
            """CREATE TABLE grades (
            run_id VARCHAR NOT NULL, unit_code VARCHAR NOT NULL, year INTEGER,
            indicator VARCHAR NOT NULL, value DOUBLE, grade VARCHAR, threshold_source VARCHAR
        )""",
            """CREATE TABLE rank_intervals (
            run_id VARCHAR NOT NULL, unit_code VARCHAR NOT NULL, year INTEGER, score VARCHAR,
            nominal DOUBLE, mean DOUBLE, median DOUBLE, q5 DOUBLE, q95 DOUBLE
        )""",
            """CREATE TABLE strengths (
            run_id VARCHAR NOT NULL, unit_code VARCHAR NOT NULL, year INTEGER, peer_type VARCHAR,
            peer_group VARCHAR, kind VARCHAR, position INTEGER, indicator VARCHAR, value DOUBLE,
            peer_rank DOUBLE, peer_n DOUBLE
        )""",
            """CREATE TABLE coverage (
            run_id VARCHAR NOT NULL, indicator VARCHAR, dimension VARCHAR, status VARCHAR,
            availability DOUBLE, reason VARCHAR
        )""",
            """CREATE TABLE dimension_coverage (
            run_id VARCHAR NOT NULL, dimension VARCHAR, name_zh VARCHAR, name_en VARCHAR,
            n_indicators INTEGER, n_used INTEGER, coverage DOUBLE, mean_availability DOUBLE, status VARCHAR
        )""",
            """CREATE TABLE geometries (
            run_id VARCHAR NOT NULL, unit_code VARCHAR NOT NULL, geojson VARCHAR
        )""",
            """CREATE TABLE run_tables (
            run_id VARCHAR NOT NULL, name VARCHAR NOT NULL, n_rows BIGINT, columns VARCHAR[],
            parquet BLOB
        )""",
            """CREATE TABLE run_files (
            run_id VARCHAR NOT NULL, name VARCHAR NOT NULL, media_type VARCHAR, size BIGINT,
            sha256 VARCHAR, content BLOB
        )""",
            "CREATE INDEX scores_run ON scores (run_id, year, score)",
            "CREATE INDEX values_run ON indicator_values (run_id, unit_code)",
        ],
    ),
    2: (
        "inventory: registers, located problems, observations, status events, surveys, projects, imports",
        [
            """CREATE TABLE inv_imports (
            import_id VARCHAR PRIMARY KEY, kind VARCHAR NOT NULL, unit_code VARCHAR NOT NULL, year INTEGER,
            level VARCHAR, source VARCHAR, sha256 VARCHAR, n_rows INTEGER, note VARCHAR, actor VARCHAR,
            imported_utc TIMESTAMP NOT NULL
        )""",
            """CREATE TABLE inv_buildings (
            import_id VARCHAR NOT NULL, unit_code VARCHAR NOT NULL, year INTEGER NOT NULL,
            building_id VARCHAR NOT NULL, address VARCHAR, compound_id VARCHAR, community_id VARCHAR,
            block_id VARCHAR, district VARCHAR, year_built INTEGER, floors INTEGER, dwellings INTEGER,
            structure VARCHAR, lon DOUBLE, lat DOUBLE, attributes VARCHAR
        )""",
            """CREATE TABLE inv_compounds (
            import_id VARCHAR NOT NULL, unit_code VARCHAR NOT NULL, year INTEGER NOT NULL,
            compound_id VARCHAR NOT NULL, name VARCHAR, community_id VARCHAR, block_id VARCHAR, district VARCHAR,
            year_built INTEGER, households INTEGER, lon DOUBLE, lat DOUBLE, attributes VARCHAR
        )""",
            """CREATE TABLE inv_communities (
            import_id VARCHAR NOT NULL, unit_code VARCHAR NOT NULL, year INTEGER NOT NULL,
            community_id VARCHAR NOT NULL, name VARCHAR, block_id VARCHAR, district VARCHAR, population BIGINT,
            lon DOUBLE, lat DOUBLE, attributes VARCHAR
        )""",
            """CREATE TABLE inv_blocks (
            import_id VARCHAR NOT NULL, unit_code VARCHAR NOT NULL, year INTEGER NOT NULL,
            block_id VARCHAR NOT NULL, name VARCHAR, district VARCHAR, area_km2 DOUBLE, roads INTEGER,
            population BIGINT, lon DOUBLE, lat DOUBLE, attributes VARCHAR
        )""",
            """CREATE TABLE inv_problems (
            problem_id VARCHAR NOT NULL, unit_code VARCHAR NOT NULL, level VARCHAR NOT NULL,
            indicator VARCHAR NOT NULL, mohurd_id VARCHAR, located_in VARCHAR, register VARCHAR NOT NULL,
            register_id VARCHAR NOT NULL, road VARCHAR, sub_item VARCHAR, first_year INTEGER NOT NULL,
            date_found DATE NOT NULL, remediation VARCHAR, deadline DATE, category_zh VARCHAR, category_en VARCHAR,
            measure_zh VARCHAR, measure_en VARCHAR, department_zh VARCHAR, department_en VARCHAR, recurs VARCHAR,
            import_id VARCHAR, created_utc TIMESTAMP NOT NULL
        )""",
            """CREATE TABLE inv_observations (
            problem_id VARCHAR NOT NULL, unit_code VARCHAR NOT NULL, year INTEGER NOT NULL, severity VARCHAR,
            quantity DOUBLE, date_found DATE, lon DOUBLE, lat DOUBLE, photo VARCHAR, description VARCHAR,
            surveyor VARCHAR, import_id VARCHAR
        )""",
            """CREATE TABLE inv_events (
            problem_id VARCHAR NOT NULL, unit_code VARCHAR NOT NULL, seq INTEGER NOT NULL, status VARCHAR NOT NULL,
            date DATE NOT NULL, evidence VARCHAR, note VARCHAR, project_id VARCHAR, actor VARCHAR,
            recorded_utc TIMESTAMP NOT NULL
        )""",
            """CREATE TABLE inv_surveys (
            unit_code VARCHAR NOT NULL, year INTEGER NOT NULL, level VARCHAR NOT NULL, n_records INTEGER,
            n_new INTEGER, n_matched INTEGER, import_id VARCHAR, recorded_utc TIMESTAMP NOT NULL
        )""",
            """CREATE TABLE inv_projects (
            project_id VARCHAR NOT NULL, unit_code VARCHAR NOT NULL, version INTEGER NOT NULL, name_zh VARCHAR,
            name_en VARCHAR, content VARCHAR, scale VARCHAR, investment_10k_yuan DOUBLE, funding_source VARCHAR,
            implementing_body VARCHAR, department VARCHAR, year INTEGER, renewal_unit VARCHAR, note VARCHAR,
            actor VARCHAR, recorded_utc TIMESTAMP NOT NULL
        )""",
            "CREATE INDEX inv_problems_unit ON inv_problems (unit_code, problem_id)",
            "CREATE INDEX inv_events_problem ON inv_events (problem_id, seq)",
            "CREATE INDEX inv_observations_unit ON inv_observations (unit_code, year)",
        ],
    ),
    3: (
        "inventory: 12345 hotline candidate problems and the tickets a closed problem resolves",
        list(HOTLINE_DDL),
    ),
}

SCHEMA_VERSION = max(MIGRATIONS)


def current_version(con: Any) -> int:
    """Schema version of an open store (0 for an empty file)."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
    ).fetchone()[0]
    if not exists:
        return 0
    v = con.execute("SELECT max(version) FROM schema_version").fetchone()[0]
    return int(v or 0)


def migrate(con: Any) -> int:
    """Bring the schema of ``con`` up to :data:`SCHEMA_VERSION`; return the version reached.

    Raises
    ------
    citycheckup.store.StoreError
        The file was written by a newer citycheckup (its schema version is higher).
    """
    from citycheckup.store._errors import StoreError

    have = current_version(con)
    if have > SCHEMA_VERSION:
        raise StoreError(
            f"the store has schema version {have}, newer than this citycheckup supports "
            f"({SCHEMA_VERSION}); upgrade citycheckup or use another --store"
        )
    if have == SCHEMA_VERSION:
        return have
    con.execute("BEGIN TRANSACTION")
    try:
        if have == 0:
            con.execute(
                "CREATE TABLE schema_version (version INTEGER NOT NULL, applied_utc TIMESTAMP NOT NULL, "
                "description VARCHAR)"
            )
        for v in range(have + 1, SCHEMA_VERSION + 1):
            desc, stmts = MIGRATIONS[v]
            for s in stmts:
                con.execute(s)
            con.execute(
                "INSERT INTO schema_version VALUES (?, ?, ?)",
                [v, datetime.now(UTC).replace(tzinfo=None), desc],
            )
            log.debug("store schema migrated to version %d (%s)", v, desc)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return SCHEMA_VERSION
