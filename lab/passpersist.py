"""snmpd's pass_persist helper: publishes the prober's results file (thin I/O).

Run by snmpd (``pass_persist OID PROG``, snmpd.conf(5)) as
``python -m lab.passpersist RESULTS ROOT``: it answers requests under
``ROOT`` from the results file the prober (:mod:`lab.prober`) replaces
atomically, re-reading it whenever it changed.  snmpd starts it on the first
request and restarts it if it dies; it exits when snmpd closes its stdin.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

from lab.pingmib import MibView, Responder, mib_view, parse_oid
from lab.probes import load


class ResultsCache:
    """The MIB view of the results file, rebuilt when the file changes."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._stamp: tuple[int, int, int] | None = None
        self._view = MibView(())

    def view(self) -> MibView:
        try:
            stat = os.stat(self._path)
        except OSError:
            self._stamp, self._view = None, MibView(())
            return self._view
        stamp = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        if stamp != self._stamp:
            try:
                self._view = mib_view(load(self._path.read_text()))
                self._stamp = stamp
            except (OSError, ValueError, KeyError, TypeError):
                pass  # keep the previous view; the prober replaces the file whole
        return self._view


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    root = parse_oid(args[1]) if len(args) == 2 else None
    if root is None:
        print("usage: python -m lab.passpersist RESULTS ROOT-OID", file=sys.stderr)
        return 2
    responder = Responder(root=root, view=ResultsCache(Path(args[0])).view)
    for line in sys.stdin:
        answer = responder.feed(line)
        if answer:
            sys.stdout.write("\n".join(answer) + "\n")
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
