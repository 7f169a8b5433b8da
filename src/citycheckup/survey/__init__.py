"""Residents' satisfaction survey (社会满意度调查) of the city check-up.

Questionnaire (:func:`load_questionnaire`, standard one built in) → sample design
(:func:`sample_design`: size from a margin of error, quotas by area) → responses
(:func:`read_responses`: CSV/XLSX or the web form's SQLite database) → weights
(:func:`rake` to age, sex and area margins) → indices with confidence intervals
(:func:`satisfaction_indices`), low-satisfaction items as candidate problems
(:func:`low_satisfaction`), comparison with the 12345 rate (:func:`compare_hotline`),
all gathered in :class:`SurveyResults` (:func:`survey_results`), whose
:meth:`~SurveyResults.report_blocks` fill the report section 社会满意度.
"""

from citycheckup.survey._errors import (
    QuestionnaireError,
    RakingConvergenceError,
    ResponseError,
    SurveyDesignError,
    TokenError,
    WeightingError,
)
from citycheckup.survey.design import SampleDesign, quotas, read_areas, sample_design, sample_size
from citycheckup.survey.indices import (
    LOW_THRESHOLD,
    HotlineComparison,
    IndexTables,
    compare_hotline,
    low_satisfaction,
    satisfaction_indices,
)
from citycheckup.survey.questionnaire import (
    Aspect,
    Demographic,
    Level,
    Option,
    Question,
    Questionnaire,
    builtin_questionnaire,
    load_questionnaire,
)
from citycheckup.survey.responses import ResponseSet, read_responses, validate_responses
from citycheckup.survey.results import SurveyResults, survey_results
from citycheckup.survey.store import SurveyDB
from citycheckup.survey.weighting import RakingResult, kish_effective_n, rake, read_margins

__all__ = [
    "LOW_THRESHOLD",
    "Aspect",
    "Demographic",
    "HotlineComparison",
    "IndexTables",
    "Level",
    "Option",
    "Question",
    "Questionnaire",
    "QuestionnaireError",
    "RakingConvergenceError",
    "RakingResult",
    "ResponseError",
    "ResponseSet",
    "SampleDesign",
    "SurveyDB",
    "SurveyDesignError",
    "SurveyResults",
    "TokenError",
    "WeightingError",
    "builtin_questionnaire",
    "compare_hotline",
    "kish_effective_n",
    "load_questionnaire",
    "low_satisfaction",
    "quotas",
    "rake",
    "read_areas",
    "read_margins",
    "read_responses",
    "sample_design",
    "sample_size",
    "satisfaction_indices",
    "survey_results",
    "validate_responses",
]
