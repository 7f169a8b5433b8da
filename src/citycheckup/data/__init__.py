"""Data: readers, city identity, checks against a framework, the embedded data set."""

from citycheckup.data.checks import CheckReport, Finding, check_dataset, normalise_unit
from citycheckup.data.embedded import load_city_macro
from citycheckup.data.identity import (
    City,
    Gazetteer,
    city_core_name,
    default_gazetteer,
    province_short_name,
)
from citycheckup.data.readers import Dataset, file_sha256, read_dataset, read_table, tidy_dataset

__all__ = [
    "CheckReport",
    "City",
    "Dataset",
    "Finding",
    "Gazetteer",
    "check_dataset",
    "city_core_name",
    "default_gazetteer",
    "file_sha256",
    "load_city_macro",
    "normalise_unit",
    "province_short_name",
    "read_dataset",
    "read_table",
    "tidy_dataset",
]
