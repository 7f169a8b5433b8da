"""Read models of the API: plain dicts computed from the store (JSON-ready, NaN → None).

One namespace (``from citycheckup.api import _queries as Q``) over ``_queries_base``
(frameworks, runs, run data, rankings, paging) and ``_queries_units`` (unit profiles,
indicator tables, distributions, time series, comparisons).
"""

from citycheckup.api._queries_base import *  # noqa: F403
from citycheckup.api._queries_base import _year_cond  # noqa: F401
from citycheckup.api._queries_units import *  # noqa: F403
from citycheckup.api._queries_units import _indicator_meta, _meta_for  # noqa: F401
