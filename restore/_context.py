"""A context variable set for the duration of a ``with`` block.

The per-solve switches (:func:`restore.operators.reusing_otfs`,
:func:`restore.params.noise_measured_on`,
:func:`restore.solvers._framework.callbacks_see`) are context variables, so
each thread (each chunk of a batch) sees its own.
"""

import contextlib


@contextlib.contextmanager
def setting(variable, value):
    """Within, the :class:`contextvars.ContextVar` `variable` holds `value`.

    Examples
    --------
    >>> import contextvars
    >>> flag = contextvars.ContextVar("flag", default=False)
    >>> with setting(flag, True):
    ...     flag.get()
    True
    >>> flag.get()
    False
    """
    token = variable.set(value)
    try:
        yield
    finally:
        variable.reset(token)
