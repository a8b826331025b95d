"""Builders shared by the SLA tests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from controller.sla import rfc3339
from controller.sla.csvinput import SampleChunk

FROM = "2026-11-01T00:00:00Z"
TO = "2026-12-01T00:00:00Z"
MINUTE_US = 60_000_000


def us(text: str) -> int:
    value = rfc3339.parse_one(text)
    assert value is not None, text
    return value


def chunk(samples: Sequence[tuple[str, float, float | None]]) -> SampleChunk:
    """Samples as (probe, minutes after FROM, delay or None for lost)."""
    names = sorted({probe for probe, _, _ in samples})
    return SampleChunk(
        time_us=np.array([us(FROM) + int(m * MINUTE_US) for _, m, _ in samples], dtype=np.int64),
        probe_index=np.array([names.index(p) for p, _, _ in samples], dtype=np.intp),
        probe_names=tuple(names),
        delay_ms=np.array([np.nan if d is None else d for _, _, d in samples], dtype=np.float64),
    )


def template_document(**fields: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": "gold"}
    entry.update(fields)
    return {"netsla-sla:sla-templates": {"sla-template": [entry]}}
