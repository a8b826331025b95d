"""Imports every table module so that :data:`Base.metadata` is complete.

Each domain adds its table module here with one import line.
"""

from __future__ import annotations

from controller.store import (  # noqa: F401
    availability,
    probes,
    services,
    sla,
    telemetry,
    tokens,
)
