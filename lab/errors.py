"""Exception root of the lab."""

from __future__ import annotations


class LabError(Exception):
    """Root of every error the lab raises on purpose."""


class TopologyError(LabError, ValueError):
    """The topology file is wrong; nothing was created."""


class LabArgumentError(LabError, ValueError):
    """An argument (lab name, port base, link, impairment) is wrong; nothing was changed."""
