"""taskscout: rank transfer sources for a labeled target (transferability estimators, ESM-LogME
over a source registry), from Python. The work is done by taskscout's C++ library; results
equal the ``taskscout`` CLI's."""
from . import errors
from ._core import rank_method_names as _rank_method_names
from .aliases import (LogME, h_score, log_expected_empirical_prediction, log_maximum_evidence,
                      negative_conditional_entropy, regularized_h_score)
from .errors import Error, InputError, IoError, UsageError
from .estimators import METHODS, score, score_details
from .hfselect import ESMConfig, TaskRanking, compute_task_ranking
from .ranking import Ranking, RankedSource, SkippedSource
from .registry import Registry, Source, rank_pool

#: Every ranking method of Registry.rank, in the order method="all" runs them.
RANK_METHODS = tuple(_rank_method_names)

__all__ = ["Error", "ESMConfig", "InputError", "IoError", "LogME", "METHODS", "RANK_METHODS", "Ranking",
           "RankedSource", "Registry", "SkippedSource", "Source", "TaskRanking", "UsageError",
           "compute_task_ranking", "h_score", "log_expected_empirical_prediction", "log_maximum_evidence",
           "negative_conditional_entropy", "rank_pool", "regularized_h_score", "score", "score_details"]
