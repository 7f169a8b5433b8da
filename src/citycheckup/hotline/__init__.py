"""Citizen hotline (12345 接诉即办 / Open311): intake, classification, dispatch,
deadlines, workflow, the three rates and hotspots.

The web server lives in :mod:`citycheckup.hotline.server` (``create_app``); it is
the only part that imports FastAPI, so this package imports without it.
"""

from citycheckup.hotline.catalogue import (
    Catalogue,
    Deadline,
    Service,
    builtin_catalogue_path,
    catalogue_from_mapping,
    load_catalogue,
)
from citycheckup.hotline.classifier import (
    Evaluation,
    HotlineClassifier,
    Prediction,
    cross_validate,
    read_training_csv,
)
from citycheckup.hotline.deadlines import deadline_after, is_workday
from citycheckup.hotline.hotspots import emerging_hotspots, haversine_m, spatial_hotspots
from citycheckup.hotline.metrics import (
    INDICATOR_CODES,
    indicator_table,
    rates,
    write_indicator_table,
)
from citycheckup.hotline.store import SATISFACTION, HotlineStore, KeyInfo, NewRequest
from citycheckup.hotline.workflow import (
    STATES,
    TRANSITIONS,
    allowed_actions,
    next_state,
    open311_status,
)

__all__ = [
    "Catalogue",
    "Deadline",
    "Evaluation",
    "HotlineClassifier",
    "HotlineStore",
    "INDICATOR_CODES",
    "KeyInfo",
    "NewRequest",
    "Prediction",
    "SATISFACTION",
    "STATES",
    "Service",
    "TRANSITIONS",
    "allowed_actions",
    "builtin_catalogue_path",
    "catalogue_from_mapping",
    "cross_validate",
    "deadline_after",
    "emerging_hotspots",
    "haversine_m",
    "indicator_table",
    "is_workday",
    "load_catalogue",
    "next_state",
    "open311_status",
    "rates",
    "read_training_csv",
    "spatial_hotspots",
    "write_indicator_table",
]
