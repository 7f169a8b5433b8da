"""Data: readers, city identity, units, checks against a framework, the embedded data set."""

from citycheckup.data.census import CENSUS_BASIS, CENSUS_SOURCE, CENSUS_YEARS, census_population
from citycheckup.data.checks import (
    CheckReport,
    DataCheck,
    Finding,
    check_all,
    check_dataset,
    check_derived,
    indicator_table,
    normalise_unit,
)
from citycheckup.data.embedded import load_city_macro
from citycheckup.data.headers import HeaderIndex
from citycheckup.data.identity import (
    HISTORY_FROM,
    KIND_LABELS,
    City,
    FormerName,
    Gazetteer,
    Match,
    city_core_name,
    default_gazetteer,
    province_short_name,
)
from citycheckup.data.readers import (
    Dataset,
    file_sha256,
    read_dataset,
    read_table,
    tidy_dataset,
    unit_code_problem,
)
from citycheckup.data.scale import ScaleGuess, guess_scale
from citycheckup.data.units import (
    Unit,
    UnitConversionError,
    conversion_factor,
    convert_values,
    parse_unit,
    same_unit,
)

__all__ = [
    "CENSUS_BASIS",
    "CENSUS_SOURCE",
    "CENSUS_YEARS",
    "CheckReport",
    "City",
    "DataCheck",
    "Dataset",
    "Finding",
    "FormerName",
    "Gazetteer",
    "HISTORY_FROM",
    "HeaderIndex",
    "KIND_LABELS",
    "Match",
    "ScaleGuess",
    "Unit",
    "UnitConversionError",
    "census_population",
    "check_all",
    "check_dataset",
    "check_derived",
    "city_core_name",
    "conversion_factor",
    "convert_values",
    "default_gazetteer",
    "file_sha256",
    "guess_scale",
    "indicator_table",
    "load_city_macro",
    "normalise_unit",
    "parse_unit",
    "province_short_name",
    "read_dataset",
    "read_table",
    "same_unit",
    "tidy_dataset",
    "unit_code_problem",
]
