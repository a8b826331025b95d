"""Instance documents for the validation tests: the examples, and one
self-contained valid document (SLA templates, tiers, a gold customer and its
three-site VPN) that each test breaks in one place."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.json"))


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / name).read_text())
    return data


@pytest.fixture
def valid() -> dict[str, Any]:
    """A fresh valid document to break: templates, tiers, acme and its VPN."""
    data = load("sla-templates.json")
    data.update(load("acme-gold-any-to-any.json"))
    return copy.deepcopy(data)
