"""Small file helpers the lab's daemons share: change stamps and atomic replacement."""

from __future__ import annotations

import os
from pathlib import Path

Stamp = tuple[int, int]  # modification time (ns), size


def stamp(path: Path) -> Stamp | None:
    """What tells whether ``path`` changed since it was last read (None: no such file)."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_mtime_ns, info.st_size)


def replace_file(path: Path, data: bytes) -> None:
    """Write ``path`` atomically (readers see the old or the new file, never a part)."""
    temporary = path.with_suffix(".tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)
