"""The ``restore`` command, as a package.

For now the command is all in :mod:`restore.cli.solve` (the former
``restore/cli.py``) and ``restore batch`` in :mod:`restore.cli.batch` (the
former ``restore/cli_batch.py``); the commits that follow split it by command
group. This module keeps ``from restore.cli import ...`` working.
"""

from restore.cli.solve import *  # noqa: F401,F403
from restore.cli.solve import REPORT_FILES, __all__, _show_warning, sweep_specs  # noqa: F401
