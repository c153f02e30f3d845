"""The one error the layout package raises: a ``code`` and the data that says why.

What people read is worded later from the code (handlers/templates), as for
workflow's refusals; this package holds no sentences.
"""

from __future__ import annotations


class LayoutError(Exception):
    """A document that cannot be laid out as given: ``code`` names the reason,
    ``data`` the key, value or position it is about."""

    def __init__(self, code: str, **data: object) -> None:
        super().__init__(code)
        self.code = code
        self.data = data

    def __repr__(self) -> str:
        return f"LayoutError({self.code!r}, {self.data!r})"
