"""Compare solvers side by side: one observation, many solvers, one honest table.

:mod:`~restore.comparison.run` runs the solvers on a case and scores them
(:func:`compare` on a simulated observation of a clean image, :func:`compare_observed`
on real data, :func:`sweep` over noise levels); :mod:`~restore.comparison.oracle`
tunes each solver's main parameter against the truth (``tune="oracle"``);
:mod:`~restore.comparison.tables` holds the results (:class:`Comparison`,
:class:`ComparisonRow`, :class:`Sweep`) and their Markdown, CSV and HTML text.
Nothing here reads or writes files: figures and files are :mod:`restore.report`'s.
"""

from .oracle import ORACLE_GRIDS
from .run import ALIASES, compare, compare_observed, sweep
from .tables import Comparison, ComparisonRow, Sweep

__all__ = [
    "ORACLE_GRIDS",
    "Comparison",
    "ComparisonRow",
    "Sweep",
    "compare",
    "compare_observed",
    "sweep",
]
