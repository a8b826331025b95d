"""Exception root of the lab."""

from __future__ import annotations


class LabError(Exception):
    """Root of every error the lab raises on purpose."""


class TopologyError(LabError, ValueError):
    """The topology file is wrong; nothing was created."""
