"""The line every benchmark ends with, one per goal, which ``bench/all.py`` (``make bench``)
collects into one table: ``== goal <name> | <what> | <ratio>x | <goal> | <note>``."""

from __future__ import annotations


def goal(name: str, what: str, ratio: float, bound: str, note: str = "") -> None:
    """Print one goal's line: ``bound`` like ``<= 2.0`` or ``>= 0.5``; met or not is judged
    from it."""
    op, limit = bound.split()
    met = ratio <= float(limit) if op == "<=" else ratio >= float(limit)
    print(
        f"== goal {name} | {what} | {ratio:.2f}x | {bound}x | {'met' if met else 'NOT met'}"
        f"{' | ' + note if note else ''}",
        flush=True,
    )
