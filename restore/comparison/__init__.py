"""Compare solvers side by side: one observation, many solvers, one honest table."""

from .run import (
    ALIASES,
    ORACLE_GRIDS,
    Comparison,
    ComparisonRow,
    Sweep,
    compare,
    compare_observed,
    sweep,
)

__all__ = [
    "ORACLE_GRIDS",
    "Comparison",
    "ComparisonRow",
    "Sweep",
    "compare",
    "compare_observed",
    "sweep",
]
