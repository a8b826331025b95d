"""Impair and clear core links of a running lab (see :mod:`lab.shuttle`)."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict
from pathlib import Path

from lab import netns, process
from lab.errors import LabError
from lab.shuttle import Impairment
from lab.state import LabPaths, link_namespace
from lab.topology import Link, LinkKind

SHUTTLE_READY_TIMEOUT = 5.0


class ImpairmentError(LabError, ValueError):
    """The impairment asked for is not possible (bad value, not a core link)."""


def check(link: Link, impairment: Impairment) -> None:
    problems = []
    if link.kind is not LinkKind.CORE:
        problems.append(f"link {link.name!r} is an access link; only core links can be impaired")
    if impairment.delay_ms < 0 or impairment.jitter_ms < 0:
        problems.append("delay and jitter must be >= 0")
    if impairment.jitter_ms > impairment.delay_ms:
        problems.append("jitter must not exceed delay")
    if not 0 <= impairment.loss_percent <= 100:
        problems.append("loss must be within 0..100 percent")
    if problems:
        raise ImpairmentError("; ".join(problems))


def _pidfile(lab: LabPaths, link: Link) -> Path:
    return lab.dir / "links" / f"{link.name}.shuttle.pid"


def _setting(lab: LabPaths, link: Link) -> Path:
    return lab.dir / "links" / f"{link.name}.json"


def current(lab: LabPaths, link: Link) -> Impairment | None:
    """The impairment in force on ``link`` (None when the link is clean)."""
    if process.running(_pidfile(lab, link), f"{lab.dir}/") is None:
        return None
    try:
        return Impairment(**json.loads(_setting(lab, link).read_text()))
    except (OSError, ValueError, TypeError):
        return None


def apply(lab: LabPaths, link: Link, impairment: Impairment) -> None:
    """Put ``impairment`` on ``link`` in both directions (replacing any previous one).

    The shuttle starts while the redirects still carry the link and takes
    over when they are removed, so the switch loses no frame (a few may
    arrive twice meanwhile).
    """
    check(link, impairment)
    clear(lab, link)
    mid = link_namespace(lab.lab, link.name)
    pidfile = _pidfile(lab, link)
    pidfile.parent.mkdir(exist_ok=True)
    _setting(lab, link).write_text(json.dumps(asdict(impairment)))
    ready = pidfile.with_suffix(".ready")
    ready.unlink(missing_ok=True)
    argv = [
        sys.executable, "-m", "lab.shuttle", mid, link.a.node, link.b.node,
        str(impairment.delay_ms), str(impairment.jitter_ms), str(impairment.loss_percent),
        str(ready),
    ]  # fmt: skip
    pid = process.spawn(argv, netns=None, log=pidfile.with_suffix(".log"), pidfile=pidfile)
    deadline = time.monotonic() + SHUTTLE_READY_TIMEOUT
    while not ready.exists():
        if not process.is_ours(pid, f"{lab.dir}/") or time.monotonic() > deadline:
            process.stop_pidfiles([pidfile], f"{lab.dir}/")  # the redirects still carry the link
            _setting(lab, link).unlink(missing_ok=True)
            raise LabError(f"impairment shuttle of {link.name} did not start; see its log")
        time.sleep(0.01)
    netns.run_batch(netns.unbridge_tc_batch(link), netns=mid, tool=netns.TC)


def clear(lab: LabPaths, link: Link) -> None:
    """Remove any impairment from ``link``: restore the tc redirects, then stop the shuttle.

    New frames take the kernel's path at once; the shuttle sends the frames
    it still holds before it exits (a few may arrive twice meanwhile, as it
    sees the redirected frames too until it stops taking them; none is lost).
    """
    pidfile = _pidfile(lab, link)
    if not pidfile.exists():
        return  # never impaired (or already cleared): the redirects are in place
    if link.kind is LinkKind.CORE:
        netns.run_batch(
            netns.redirect_tc_batch(link), netns=link_namespace(lab.lab, link.name), tool=netns.TC
        )
    process.stop_pidfiles([pidfile], f"{lab.dir}/")
    _setting(lab, link).unlink(missing_ok=True)
