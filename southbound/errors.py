"""Exception root of the southbound layer."""

from __future__ import annotations


class SouthboundError(Exception):
    """Root of every error the southbound layer raises on purpose."""
