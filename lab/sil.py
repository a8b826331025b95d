"""Server instrumentation (SIL) of the lab router's native module for netconfd.

netconfd (yuma123) serves ``config false`` data only through compiled
instrumentation: a shared library ``lib<module>.so`` that it looks for in
``$YUMA_RUNPATH`` (among other folders) when it loads the module by name.
The C source of netsla-router's library is ``lab/sil/netsla-router.c``;
:func:`ensure_built` compiles it with gcc against libyuma-dev's headers into
a lab's folder, once per ``lab up`` when the library is missing or older
than its source (never at import time).

The library answers ``<get>`` of ``/nr:native-state`` with the document the
router's prober writes (:mod:`lab.nativestate`), named by the environment
variable :data:`STATE_FILE_VARIABLE` of netconfd.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from lab.errors import LabError

SOURCE = Path(__file__).resolve().parent / "sil" / "netsla-router.c"
LIBRARY_NAME = "libnetsla-router.so"  # netconfd: lib<module name>.so
STATE_FILE_VARIABLE = "NETSLA_NATIVE_STATE"
RUNPATH_VARIABLE = "YUMA_RUNPATH"
MODPATH_VARIABLE = "YUMA_MODPATH"
CC = "/usr/bin/gcc"
INCLUDE_DIRS = (
    "/usr/include/yuma/agt",
    "/usr/include/yuma/ncx",
    "/usr/include/yuma/platform",
    "/usr/include/libxml2",
)
LIBRARIES = ("yumaagt", "yumancx")
BUILD_TIMEOUT = 120.0


class SilBuildError(LabError):
    """The router's instrumentation library could not be built."""


def compile_argv(*, source: Path, output: Path) -> list[str]:
    """gcc's command line for a shared library of ``source`` (pure)."""
    includes = [f"-I{d}" for d in INCLUDE_DIRS]
    libraries = [f"-l{name}" for name in LIBRARIES]
    return [
        CC,
        "-shared",
        "-fPIC",
        "-O2",
        "-Wall",
        "-Wextra",
        "-Werror",
        *includes,
        "-o",
        str(output),
        str(source),
        *libraries,
    ]


def stale(*, source: Path, library: Path) -> bool:
    """Whether ``library`` is missing or older than ``source``."""
    try:
        return library.stat().st_mtime_ns < source.stat().st_mtime_ns
    except FileNotFoundError:
        return True


def ensure_built(folder: Path, *, source: Path = SOURCE) -> Path:
    """The library in ``folder``, compiled first when missing or stale.

    The library is written beside its final name and renamed into place,
    so a running netconfd never maps a half-written file.
    """
    library = folder / LIBRARY_NAME
    if not stale(source=source, library=library):
        return library
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".{LIBRARY_NAME}.{os.getpid()}"
    try:
        done = subprocess.run(
            compile_argv(source=source, output=partial),
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        partial.unlink(missing_ok=True)
        raise SilBuildError(f"cannot compile {source.name}: {exc}") from exc
    if done.returncode != 0:
        partial.unlink(missing_ok=True)
        first = (done.stderr.strip().splitlines() or ["no output"])[0]
        hint = " (is libyuma-dev installed?)" if "No such file" in done.stderr else ""
        raise SilBuildError(f"cannot compile {source.name}{hint}: {first}")
    os.replace(partial, library)
    return library
