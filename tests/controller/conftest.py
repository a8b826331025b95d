"""Golden files for the controller's payloads: compared after canonicalisation.

``pytest --update-golden`` rewrites them from the current output.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from tests.controller.labharness import harness, inventory, store  # noqa: F401  (fixtures)

GOLDEN = Path(__file__).parent / "golden"
DOCUMENTS = Path(__file__).parent / "documents"


def canonical_xml(element: etree._Element) -> str:
    """C14N 2.0 with whitespace stripped: equal for equal infosets."""
    text = etree.tostring(element, method="c14n2", strip_text=True)
    return etree.tostring(etree.fromstring(text), pretty_print=True).decode()


def canonical_json(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


class Golden:
    """Compares canonical text with golden files (or rewrites them with --update-golden)."""

    def __init__(self, update: bool) -> None:
        self.update = update

    def text(self, name: str, text: str) -> None:
        path = GOLDEN / name
        if self.update:
            path.write_text(text)
            return
        if not path.exists():
            pytest.fail(f"golden file {path} is missing: run pytest --update-golden")
        assert text == path.read_text(), f"differs from golden file {path}"

    def xml(self, name: str, element: etree._Element) -> None:
        self.text(name, canonical_xml(element))

    def json(self, name: str, data: Any) -> None:
        self.text(name, canonical_json(data))


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Golden:
    return Golden(bool(request.config.getoption("--update-golden", default=False)))


@pytest.fixture
def document() -> Callable[[str], dict[str, Any]]:
    def load(name: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((DOCUMENTS / name).read_text())
        return data

    return load


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite the controller's golden files from the current output",
    )
