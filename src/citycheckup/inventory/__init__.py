"""Registers, field surveys, located problems with a lifecycle, roll-ups and renewal projects.

The lower levels of MOHURD's check-up (住房, 小区/社区, 街区) are inspected on the
ground: every building, compound, community and block is in a register with a stable
ID and coordinates; field surveys record located problems against them; next year the
same problems are checked again — fixed (已销号), being fixed (整治中) or moved into an
urban-renewal project (转入更新项目). This package holds that chain as pure functions on
tables (:class:`Inventory`); :mod:`citycheckup.store` persists it.

Everything is driven by the framework: the located-problem indicators are the
lower-level indicators with ``located_in``; their ``sub_items`` are the survey's
drop-down choices and their ``denominator`` the register total a count is reported over.

Examples
--------
>>> from citycheckup.inventory import Inventory, read_register, record_survey, rollup  # doctest: +SKIP
>>> inv = Inventory().with_registers({"building": read_register("buildings.csv", "building")})  # doctest: +SKIP
>>> inv, outcome = record_survey(inv, read_problems("survey.xlsx", fw, registers=inv.registers))  # doctest: +SKIP
>>> rollup(inv, fw)  # unit_code, year, <indicator> …, <denominator> …  # doctest: +SKIP
"""

from citycheckup.inventory._catalogue import (
    REMEDIATION_TYPES,
    catalogue_entry,
    deadline_for,
    load_catalogue,
)
from citycheckup.inventory._cells import RawTable, raw_table
from citycheckup.inventory._chain import (
    PROBLEM_LIST_COLUMNS,
    PROJECT_LIBRARY_COLUMNS,
    SUGGESTION_COLUMNS,
    draft_projects,
    locate,
    problem_list,
    project_library,
    suggestions,
)
from citycheckup.inventory._crs import CRS_CHOICES, normalise_crs, to_wgs84, wgs84_to
from citycheckup.inventory._export import ANNEX_SHEETS, GPKG_LAYERS, write_annexes, write_geopackage
from citycheckup.inventory._followup import FOLLOW_UP_COLUMNS, FollowUp, follow_up
from citycheckup.inventory._lifecycle import (
    StatusChange,
    SurveyOutcome,
    add_projects,
    change_status,
    close_problems,
    current_status,
    link_project,
    match_key,
    record_empty_survey,
    record_survey,
    start_remediation,
    status_at,
)
from citycheckup.inventory._model import (
    EVENT_COLUMNS,
    OBSERVATION_COLUMNS,
    PROBLEM_TABLE_COLUMNS,
    PROJECT_COLUMNS,
    SURVEY_COLUMNS,
    Inventory,
    empty_register,
)
from citycheckup.inventory._read import (
    check_references,
    problem_indicators,
    read_register,
    register_extras,
    validate_register,
)
from citycheckup.inventory._rollup import denominator_source, rollup
from citycheckup.inventory._schema import (
    DENOMINATOR_SOURCES,
    LEVEL_REGISTERS,
    LOCATED_IN_REGISTER,
    LOWER_LEVELS,
    OPEN_STATUSES,
    PROBLEM_COLUMNS,
    REGISTER_COLUMNS,
    REGISTER_KINDS,
    REGISTER_LABELS,
    SEVERITIES,
    SEVERITY_LABELS,
    STATUS_LABELS,
    STATUSES,
    TRANSITIONS,
    Column,
)
from citycheckup.inventory._survey import read_problems, validate_problems
from citycheckup.inventory._tables import ChainTables, chain_tables
from citycheckup.inventory._workbook import FieldSurvey, read_field_survey, write_field_survey

#: The ``source`` of the data set rolled up from a store's registers and field surveys; reports
#: print it in the reader's language (``a.store_source`` of the report catalogue).
STORE_SOURCE = "registers and field surveys (results store)"

__all__ = [
    "ANNEX_SHEETS",
    "CRS_CHOICES",
    "DENOMINATOR_SOURCES",
    "EVENT_COLUMNS",
    "FOLLOW_UP_COLUMNS",
    "GPKG_LAYERS",
    "LEVEL_REGISTERS",
    "LOCATED_IN_REGISTER",
    "LOWER_LEVELS",
    "OBSERVATION_COLUMNS",
    "OPEN_STATUSES",
    "PROBLEM_COLUMNS",
    "PROBLEM_LIST_COLUMNS",
    "PROBLEM_TABLE_COLUMNS",
    "PROJECT_COLUMNS",
    "PROJECT_LIBRARY_COLUMNS",
    "REGISTER_COLUMNS",
    "REGISTER_KINDS",
    "REGISTER_LABELS",
    "REMEDIATION_TYPES",
    "SEVERITIES",
    "SEVERITY_LABELS",
    "STATUSES",
    "STATUS_LABELS",
    "STORE_SOURCE",
    "SUGGESTION_COLUMNS",
    "SURVEY_COLUMNS",
    "TRANSITIONS",
    "ChainTables",
    "Column",
    "FieldSurvey",
    "FollowUp",
    "Inventory",
    "RawTable",
    "StatusChange",
    "SurveyOutcome",
    "add_projects",
    "catalogue_entry",
    "chain_tables",
    "change_status",
    "check_references",
    "close_problems",
    "current_status",
    "deadline_for",
    "denominator_source",
    "draft_projects",
    "empty_register",
    "follow_up",
    "link_project",
    "load_catalogue",
    "locate",
    "match_key",
    "normalise_crs",
    "problem_indicators",
    "problem_list",
    "project_library",
    "raw_table",
    "read_field_survey",
    "read_problems",
    "read_register",
    "record_empty_survey",
    "record_survey",
    "register_extras",
    "rollup",
    "start_remediation",
    "status_at",
    "suggestions",
    "to_wgs84",
    "validate_problems",
    "validate_register",
    "wgs84_to",
    "write_annexes",
    "write_field_survey",
    "write_geopackage",
]
