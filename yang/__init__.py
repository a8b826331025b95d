"""netsla's YANG modules, shipped as package data.

``YANG_DIR`` is the folder holding netsla's own modules; the standard IETF
modules are not copied here but loaded from the folder pyang installs
(``standard_module_dirs``).
"""

from __future__ import annotations

import sys
from pathlib import Path

YANG_DIR = Path(__file__).resolve().parent


def standard_module_dirs() -> list[Path]:
    """Folders with the IETF/IANA modules that pyang ships in this environment."""
    base = Path(sys.prefix) / "share" / "yang" / "modules"
    return [base / "ietf", base / "iana"]


def search_path() -> list[Path]:
    """Module search path: netsla's modules first, then the standard ones."""
    return [YANG_DIR, *standard_module_dirs()]
