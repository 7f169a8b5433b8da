"""Diagnosis: grades, target attainment, peers, strengths and weak points, trends, priorities, problem lists.

Works on composite results (:class:`citycheckup.checkup.CheckupResult` and its tables).
"""

from citycheckup.diagnosis.applicability import REASONS, UnitContext, applicability
from citycheckup.diagnosis.grades import (
    ASPECT_GRADE_LABELS,
    ASPECT_GRADES,
    GRADE_POINTS,
    aspect_grade,
    assess_thresholds,
    dimension_grades,
    grade_indicators,
    grade_value,
    target_attainment,
    target_gaps,
)
from citycheckup.diagnosis.peers import (
    SIZE_CLASSES,
    PeerSpec,
    city_size_class,
    peer_group,
    peer_medians,
)
from citycheckup.diagnosis.priorities import improvement_priorities
from citycheckup.diagnosis.problems import (
    REMEDIATION_TYPES,
    load_remediation_mapping,
    problem_list,
    problems_from_spatial,
    problems_from_table,
    renewal_projects,
)
from citycheckup.diagnosis.strengths import peer_ranks, strengths_weaknesses, weak_points_by_target
from citycheckup.diagnosis.trends import indicator_trends, score_changes

__all__ = [
    "ASPECT_GRADES",
    "ASPECT_GRADE_LABELS",
    "GRADE_POINTS",
    "REMEDIATION_TYPES",
    "SIZE_CLASSES",
    "PeerSpec",
    "REASONS",
    "UnitContext",
    "applicability",
    "aspect_grade",
    "assess_thresholds",
    "city_size_class",
    "dimension_grades",
    "grade_indicators",
    "grade_value",
    "improvement_priorities",
    "indicator_trends",
    "load_remediation_mapping",
    "peer_group",
    "peer_medians",
    "peer_ranks",
    "problem_list",
    "problems_from_spatial",
    "problems_from_table",
    "renewal_projects",
    "score_changes",
    "strengths_weaknesses",
    "target_attainment",
    "target_gaps",
    "weak_points_by_target",
]
