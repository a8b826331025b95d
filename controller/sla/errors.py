"""Errors of the SLA engine.

:class:`SlaError` is the root (under :class:`controller.errors.ControllerError`);
:class:`SlaInputError` means the user's input is wrong (a template, a CSV row,
a period) and, like every input error of netsla, also subclasses ``ValueError``.
"""

from __future__ import annotations

from controller.errors import ControllerError


class SlaError(ControllerError):
    """Root of every error the SLA engine raises on purpose."""


class SlaInputError(SlaError, ValueError):
    """Wrong input: names where (``source``, optional ``row``) and what (``problem``).

    ``row`` is the physical line number in a file (the header is row 1), the
    number an editor shows; for JSON documents ``row`` is ``None`` and the
    ``problem`` names the data node path.
    """

    def __init__(self, *, source: str, problem: str, row: int | None = None) -> None:
        self.source = source
        self.row = row
        self.problem = problem
        where = source if row is None else f"{source}: row {row}"
        super().__init__(f"{where}: {problem}")
