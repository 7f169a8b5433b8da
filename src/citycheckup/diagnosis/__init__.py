"""Diagnosis: grades, target attainment, peers, strengths and weak points, trends."""

from citycheckup.diagnosis.grades import grade_indicators, grade_value, target_attainment
from citycheckup.diagnosis.peers import SIZE_CLASSES, city_size_class
from citycheckup.diagnosis.strengths import peer_ranks, strengths_weaknesses
from citycheckup.diagnosis.trends import score_changes

__all__ = [
    "SIZE_CLASSES",
    "city_size_class",
    "grade_indicators",
    "grade_value",
    "peer_ranks",
    "score_changes",
    "strengths_weaknesses",
    "target_attainment",
]
