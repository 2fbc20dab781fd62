"""Rich display in notebooks: the HTML that Jupyter shows for results."""

import html


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
