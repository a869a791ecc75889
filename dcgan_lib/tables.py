"""Plain-text tables, as the command line and the chapters print them."""

from __future__ import annotations

from collections.abc import Sequence


def text_table(
    rows: Sequence[Sequence[str]], align: str = "", rules_before: Sequence[int] = ()
) -> str:
    """Align rows of cells into columns, with a rule under the header.

    Args:
        rows: the header, then one sequence of cells per row.
        align: one letter per column, ``"l"`` (left) or ``"r"`` (right); by
            default the first column is left-aligned and the others right.
        rules_before: more rows to draw a rule above, by index in ``rows``.
    """
    columns = len(rows[0])
    align = align or "l" + "r" * (columns - 1)
    widths = [max(len(row[column]) for row in rows) for column in range(columns)]
    lines = [
        "  ".join(
            cell.ljust(width) if side == "l" else cell.rjust(width)
            for cell, width, side in zip(row, widths, align)
        ).rstrip()
        for row in rows
    ]
    rule = "-" * (sum(widths) + 2 * (columns - 1))
    for index in sorted({1, *rules_before}, reverse=True):
        lines.insert(index, rule)
    return "\n".join(lines)
