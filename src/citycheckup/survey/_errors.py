"""Errors of the survey package (each subclasses the fitting :mod:`citycheckup.errors` class).

::

    FrameworkError
    └── QuestionnaireError      the questionnaire YAML is invalid (every problem, file:line)
    DataError
    ├── SurveyDesignError       population table or design parameters are unusable
    ├── ResponseError           a response file is malformed (every problem, row and column)
    ├── WeightingError          margins and respondents do not fit (e.g. a category without respondents)
    └── TokenError              a survey token is unknown, used twice, or the survey does not exist
    ComputationError
    └── RakingConvergenceError  raking did not converge within the iteration limit
"""

from __future__ import annotations

from citycheckup.errors import ComputationError, DataError, FrameworkError

__all__ = [
    "QuestionnaireError",
    "RakingConvergenceError",
    "ResponseError",
    "SurveyDesignError",
    "TokenError",
    "WeightingError",
]


class QuestionnaireError(FrameworkError):
    """The questionnaire YAML is invalid; ``problems`` lists each defect with ``file:line``."""


class SurveyDesignError(DataError):
    """The population table or the parameters of a sample design are unusable."""


class ResponseError(DataError):
    """A response file is malformed; ``problems`` lists each defect with its row and column."""


class WeightingError(DataError):
    """Population margins and respondents do not fit together (raking cannot start)."""


class TokenError(DataError):
    """A survey token or survey is unknown, or a token was already used.

    ``reason`` says which: ``unknown_survey``, ``closed``, ``unknown_token``, ``token_used``,
    ``device_used`` or ``invalid`` (anything else, e.g. a bad survey id).
    """

    def __init__(self, message: str, *, reason: str = "invalid") -> None:
        self.reason = reason
        super().__init__(message)


class RakingConvergenceError(ComputationError):
    """Raking (with trimming) did not reach the margins within ``max_iter`` iterations."""
