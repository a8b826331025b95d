"""Exception root of the controller."""

from __future__ import annotations


class ControllerError(Exception):
    """Root of every error the controller raises on purpose."""


class InputError(ControllerError, ValueError):
    """The user's input is wrong; nothing was done."""
