"""How results show themselves: parameter values as text, HTML tables for notebooks.

:func:`format_value` and :func:`format_parameters` write the parameters of a
result the one way every summary uses (``RestoreInfo.summary``, the comparison
tables, the batch's line per stack); :func:`html_table` is the HTML that
Jupyter shows.
"""

import html

import numpy as np


def format_value(value, *, exact=False):
    """One parameter value as text.

    Parameters
    ----------
    value : object
        A number, a string, None, or a list or tuple of them (one per channel).
    exact : bool, optional
        False (for people): floats with 4 significant digits, lists as
        ``[a, b]``. True (for CSV cells): floats with every digit (their
        ``repr``), lists as ``[a b]`` (no commas), None as an empty cell.

    Returns
    -------
    text : str

    Examples
    --------
    >>> format_value(0.0123456)
    '0.01235'
    >>> format_value([0.5, 2])
    '[0.5, 2]'
    >>> format_value([0.0123456, None], exact=True)
    '[0.0123456 ]'
    """
    if exact:
        if value is None:
            return ""
        if isinstance(value, (list, tuple)):
            return "[" + " ".join(format_value(v, exact=True) for v in value) + "]"
        if isinstance(value, (float, np.floating)):
            return repr(float(value))
        return str(value)
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    return str(value)


def format_parameters(parameters, *, exact=False):
    """``key=value`` pairs of a parameter dict, as one line of text.

    Parameters
    ----------
    parameters : dict
        Parameter name → value.
    exact : bool, optional
        As for :func:`format_value`; the pairs are then joined by ``"; "``
        (a CSV cell) instead of ``", "``.

    Examples
    --------
    >>> format_parameters({"lam": 0.0123456, "boundary": "reflect"})
    'lam=0.01235, boundary=reflect'
    """
    pairs = (f"{key}={format_value(value, exact=exact)}" for key, value in parameters.items())
    return ("; " if exact else ", ").join(pairs)


def html_table(header, rows, *, caption=None, right_from=None):
    """An HTML table of text cells (escaped); columns from `right_from` on are
    right-aligned (numbers)."""
    def cell(tag, text, column):
        align = ' style="text-align:right"' if right_from is not None and \
            column >= right_from else ' style="text-align:left"'
        return f"<{tag}{align}>{html.escape(str(text))}</{tag}>"

    parts = ["<table>"]
    if caption:
        parts.append(f"<caption style=\"text-align:left\">{html.escape(caption)}</caption>")
    parts.append("<thead><tr>" + "".join(cell("th", h, i) for i, h in enumerate(header))
                 + "</tr></thead><tbody>")
    for row in rows:
        parts.append("<tr>" + "".join(cell("td", c, i) for i, c in enumerate(row)) + "</tr>")
    parts.append("</tbody></table>")
    return "".join(parts)
