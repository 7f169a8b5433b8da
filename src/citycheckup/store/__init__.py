"""Results store: every run, index, sensitivity and spatial result in one DuckDB file.

The default file is ``./citycheckup.duckdb``; ``--store PATH`` or ``$CITYCHECKUP_STORE``
change it. The schema is versioned (``schema_version`` table) and migrated on open.
"""

from citycheckup.store._errors import RunNotFoundError, StoreError
from citycheckup.store._ingest import KINDS, RunContent, detect_kind, read_run_dir
from citycheckup.store._schema import SCHEMA_VERSION
from citycheckup.store._store import (
    DEFAULT_STORE,
    ENV_STORE,
    Store,
    default_store_path,
    save_run_dir,
)

__all__ = [
    "DEFAULT_STORE",
    "ENV_STORE",
    "KINDS",
    "RunContent",
    "RunNotFoundError",
    "SCHEMA_VERSION",
    "Store",
    "StoreError",
    "default_store_path",
    "detect_kind",
    "read_run_dir",
    "save_run_dir",
]
