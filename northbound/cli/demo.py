"""``netsla demo``: the main job on the lab, each step an ordinary netsla command.

The demo brings the lab up, validates and applies the example customers'
VPNs with their SLAs in one transaction, lets the routers' probes measure
the VPNs (through the lab's VPN dataplane) while the collector stores what
they measure, and evaluates the SLAs.  Then it impairs the core link that
only one customer's gold sites use and opens that customer's trouble
ticket, evaluates again, answers the ticket (its response time), restores
the link and closes the ticket (the hybrid SLA's MTTR), evaluates, lists
the alarms and writes each customer's HTML report.  Last, the northbound:
a customer token, ``netsla serve`` and the customer's SLA status over
gRPC (:mod:`northbound.cli.demoapi`).

Every step runs the same click command a user would type, and is echoed as
that command line first, so the demo doubles as a walk-through.
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from controller.errors import InputError
from controller.store import data_folder, sqlite_files, sqlite_url
from controller.store.sla import SlaRepository
from lab import api
from lab.errors import LabError
from lab.state import paths
from northbound.cli import alarm, collect, demoapi, device, incident, service, sla, validate
from northbound.cli import lab as lab_cli
from northbound.cli.options import database_option
from northbound.cli.output import shown_command
from northbound.cli.slastore import store_at

#: The example documents, applied in this order (templates first).
EXAMPLES = (
    "sla-templates.json",
    "acme-gold-any-to-any.json",
    "globex-silver-hub-spoke.json",
)
CUSTOMERS = ("acme", "globex")
#: acme's plant (pe2) and depot (pe3) talk over this link; globex's stores
#: on pe2 and pe3 only talk to its data centre on pe1, so they never use it.
IMPAIRED_LINK = "pe2-pe3"
#: The demo polls the routers' probes more often than the collector's default.
PROBE_POLL = "probes=5"
#: The service whose trouble ticket the demo opens, answers and clears.
INCIDENT_SERVICE = "acme-corp"


#: The store ``netsla demo`` makes afresh for each run when no --database is given.
DEMO_STORE = "demo.db"


def fresh_demo_store() -> str:
    """The URL of the demo's own SQLite store, the previous run's removed (WAL files too)."""
    path = data_folder() / DEMO_STORE
    for stale in sqlite_files(path):
        stale.unlink(missing_ok=True)
    return sqlite_url(path)


def _examples_folder() -> Path:
    """The repository's ``examples/`` (netsla is installed from its checkout)."""
    return Path(__file__).resolve().parents[2] / "examples"


@dataclass(frozen=True)
class Step:
    """One netsla command of the demo: what the user would type, and its parameters."""

    command: click.Command
    words: tuple[str, ...]
    params: dict[str, Any] = field(default_factory=dict)


#: A step whose words and parameters depend on what earlier steps did.
LateStep = Callable[[], Step]


@dataclass(frozen=True)
class Scenario:
    lab: str
    port_base: int | None
    database: str | None
    examples: Path
    seconds: float
    delay_ms: float
    jitter_ms: float
    reports: Path
    fresh_lab: bool = False  # take the lab down before bringing it up (it is up already)

    def global_words(self, *, lab_command: bool) -> tuple[str, ...]:
        if lab_command:
            return () if self.default_lab else ("--name", self.lab)
        words: tuple[str, ...] = ()
        if not self.default_lab:
            words += ("--inventory", str(self.inventory))
        return words + self.db_words

    @property
    def db_words(self) -> tuple[str, ...]:
        return demoapi.database_words(self.database)

    @property
    def inventory(self) -> Path:
        return paths(self.lab).inventory

    @property
    def default_lab(self) -> bool:
        return self.lab == lab_cli.DEFAULT_LAB

    def lab_params(self) -> dict[str, Any]:
        """What ``--name`` gives the lab commands (None: the default lab)."""
        return {"name": None if self.default_lab else self.lab}

    def controller_params(self) -> dict[str, Any]:
        """What ``--database`` and ``--inventory`` give the controller commands."""
        inventory = None if self.default_lab else self.inventory
        return {"database": self.database, "inventory_path": inventory}

    def month(self) -> str:
        return time.strftime("%Y-%m", time.gmtime())

    def report(self, customer: str) -> Path:
        return self.reports / f"demo-{customer}-{self.month()}.html"


def _documents(scenario: Scenario) -> tuple[Path, ...]:
    return tuple(scenario.examples / name for name in EXAMPLES)


def _setup_steps(s: Scenario) -> list[Step]:
    docs = _documents(s)
    names = tuple(str(d) for d in docs)
    ctl = s.controller_params()
    ctl_words = s.global_words(lab_command=False)
    lab_words = s.global_words(lab_command=True)
    port_words = ("--port-base", str(s.port_base)) if s.port_base is not None else ()
    fresh = [Step(lab_cli.down, ("lab", "down", *lab_words), s.lab_params())] if s.fresh_lab else []
    return [
        *fresh,
        Step(
            lab_cli.up,
            ("lab", "up", *lab_words, *port_words),
            {**s.lab_params(), "port_base": s.port_base},
        ),
        Step(lab_cli.status, ("lab", "status", *lab_words), s.lab_params()),
        Step(validate.command, ("validate", *names), {"files": docs}),
        Step(device.sync_from, ("device", "sync-from", "--all", *ctl_words), {"all_": True, **ctl}),
        Step(service.apply, ("service", "apply", *names, *ctl_words), {"documents": docs, **ctl}),
        Step(
            device.check_sync, ("device", "check-sync", "--all", *ctl_words), {"all_": True, **ctl}
        ),
    ]


def _measure_steps(s: Scenario) -> list[Step]:
    ctl = s.controller_params()
    ctl_words = s.global_words(lab_command=False)
    seconds = f"{s.seconds:g}"
    return [
        Step(
            collect.collect_command,
            ("collect", "--duration", seconds, "--interval", PROBE_POLL, *ctl_words),
            {"duration": s.seconds, "intervals": (PROBE_POLL,), **ctl},
        ),
        Step(sla.run_command, ("sla", "run", *s.db_words), {"database": s.database}),
    ]


def _impair_step(s: Scenario, *, clear: bool) -> Step:
    lab_words = s.global_words(lab_command=True)
    if clear:
        return Step(
            lab_cli.impair,
            ("lab", "impair", IMPAIRED_LINK, "--clear", *lab_words),
            {"link": IMPAIRED_LINK, "clear": True, **s.lab_params()},
        )
    return Step(
        lab_cli.impair,
        (
            "lab",
            "impair",
            IMPAIRED_LINK,
            "--delay-ms",
            f"{s.delay_ms:g}",
            "--jitter-ms",
            f"{s.jitter_ms:g}",
            *lab_words,
        ),
        {
            "link": IMPAIRED_LINK,
            "delay_ms": s.delay_ms,
            "jitter_ms": s.jitter_ms,
            **s.lab_params(),
        },
    )


def _incident_open(s: Scenario) -> Step:
    text = f"acme reports slow transfers between plant and depot ({IMPAIRED_LINK})"
    return Step(
        incident.open_command,
        ("incident", "open", "--service", INCIDENT_SERVICE, "--text", text, *s.db_words),
        {"service_id": INCIDENT_SERVICE, "text": text, "database": s.database},
    )


def _incident_respond(s: Scenario) -> LateStep:
    return _on_open_incident(s, incident.respond_command, "respond")


def _incident_clear(s: Scenario) -> LateStep:
    return _on_open_incident(s, incident.clear_command, "clear")


def _on_open_incident(s: Scenario, command: click.Command, verb: str) -> LateStep:
    """``netsla incident VERB N`` of the demo's open incident, its number found when run."""

    def late() -> Step:
        with store_at(s.database).session() as session:
            found = SlaRepository(session).incidents(service_id=INCIDENT_SERVICE, open_only=True)
        if not found:
            raise InputError(f"no open incident of {INCIDENT_SERVICE} to {verb}")
        number = found[-1].id
        return Step(
            command,
            ("incident", verb, str(number), *s.db_words),
            {"incident_id": number, "database": s.database},
        )

    return late


def _report_steps(s: Scenario) -> list[Step]:
    steps = [Step(alarm.list_command, ("alarm", "list", *s.db_words), {"database": s.database})]
    for customer in CUSTOMERS:
        output = s.report(customer)
        steps.append(
            Step(
                sla.report_command,
                (
                    "sla",
                    "report",
                    "--customer",
                    customer,
                    "--period",
                    s.month(),
                    "--output",
                    str(output),
                    *s.db_words,
                ),
                {
                    "customer": customer,
                    "month": s.month(),
                    "output": output,
                    "database": s.database,
                },
            )
        )
    return steps


def _chapters(s: Scenario) -> list[tuple[str, Sequence[Step | LateStep]]]:
    evaluate = _measure_steps(s)[-1]
    return [
        ("Bring the lab up and provision the example customers' VPNs", _setup_steps(s)),
        (f"Measure the healthy network for {s.seconds:g} s, then evaluate", _measure_steps(s)),
        (
            f"Impair core link {IMPAIRED_LINK} (acme's plant to depot; globex's sites do not "
            "use it) and open acme's trouble ticket",
            [_impair_step(s, clear=False), _incident_open(s), *_measure_steps(s)],
        ),
        (
            "Answer the ticket (its response time), restore the link, close the ticket (MTTR), "
            "evaluate; alarms and the reports",
            [
                _incident_respond(s),
                _impair_step(s, clear=True),
                _incident_clear(s),
                evaluate,
                *_report_steps(s),
            ],
        ),
    ]


def _leave_link_clear(lab_name: str) -> None:
    """Never leave the demo's impairment behind, whatever stopped the demo."""
    try:
        if api.impairments_of(lab_name).get(IMPAIRED_LINK) is not None:
            api.impair(lab_name, IMPAIRED_LINK, clear=True)
    except LabError:
        pass  # no lab (it did not come up): nothing to clear


def _title(text: str) -> None:
    click.secho(f"\n== {text}", fg="cyan", bold=True, err=True)


NORTHBOUND_TITLE = (
    "The northbound: acme's orchestrator asks for its SLA over gRPC (TLS, token); "
    "globex's is not acme's to see"
)


def _northbound(ctx: click.Context, s: Scenario) -> None:
    issued = demoapi.issue_token(ctx, customer=CUSTOMERS[0], database=s.database)
    try:
        inventory = s.controller_params()["inventory_path"]
        with demoapi.running_server(database=s.database, inventory=inventory) as server:
            demoapi.ask_status(
                server, token_text=issued.text, services=(INCIDENT_SERVICE, "globex-retail")
            )
    finally:
        demoapi.revoke_token(ctx, issued, database=s.database)


def _run(ctx: click.Context, item: Step | LateStep) -> None:
    step = item if isinstance(item, Step) else item()
    click.secho(f"$ netsla {shown_command(step.words)}", bold=True, err=True)
    ctx.invoke(step.command, **step.params)


@click.command(name="demo")
@click.option("--lab", "lab_name", default=lab_cli.DEFAULT_LAB, show_default=True, help="Lab name.")
@click.option(
    "--port-base", type=int, default=None, help="First published 127.0.0.1 port of the lab."
)
@database_option
@click.option(
    "--examples",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder with the example documents (default: the repository's examples/).",
)
@click.option(
    "--seconds",
    type=click.FloatRange(5, 3600),
    default=30,
    show_default=True,
    help="How long each measurement phase collects.",
)
@click.option(
    "--delay-ms",
    type=click.FloatRange(0, 1000),
    default=50,
    show_default=True,
    help="Delay the impaired link adds in each direction.",
)
@click.option(
    "--jitter-ms",
    type=click.FloatRange(0, 1000),
    default=5,
    show_default=True,
    help="Delay variation of the impaired link.",
)
@click.option(
    "--reports",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Folder for the customers' HTML reports.",
)
@click.option(
    "--keep-lab",
    is_flag=True,
    help="Run on the lab as it is (default: a lab that is up is taken down and brought up afresh).",
)
@click.pass_context
def command(
    ctx: click.Context,
    *,
    lab_name: str,
    port_base: int | None,
    database: str | None,
    examples: Path | None,
    seconds: float,
    delay_ms: float,
    jitter_ms: float,
    reports: Path,
    keep_lab: bool,
) -> None:
    """Run the demo on the lab: provision, measure, impair, evaluate, report.

    Each step is an ordinary netsla command, echoed before it runs.  Every
    run tells the same story: it starts from a fresh lab (one that is up is
    taken down first, unless --keep-lab) and, without --database, from a
    store of its own made afresh (demo.db in the user's data folder), so
    that nothing an earlier run measured counts in this run's SLAs.  The
    lab stays up afterwards (netsla lab down removes it).
    """
    folder = examples or _examples_folder()
    missing = [name for name in EXAMPLES if not (folder / name).is_file()]
    if missing:
        raise InputError(f"{folder}: missing example documents: {', '.join(missing)}")
    if not reports.is_dir():
        raise InputError(f"{reports}: no such folder for the reports")
    fresh_lab = not keep_lab and paths(lab_name).state.exists()  # refuses a bad lab name
    if database is None:
        database = fresh_demo_store()
        click.echo(f"the demo's store, made afresh: {database}", err=True)
    scenario = Scenario(
        lab=lab_name,
        port_base=port_base,
        database=database,
        examples=folder,
        seconds=seconds,
        delay_ms=delay_ms,
        jitter_ms=jitter_ms,
        reports=reports,
        fresh_lab=fresh_lab,
    )
    chapters = _chapters(scenario)
    total = len(chapters) + 1
    try:
        for number, (title, steps) in enumerate(chapters, start=1):
            _title(f"{number}/{total} {title}")
            for step in steps:
                _run(ctx, step)
    finally:
        _leave_link_clear(lab_name)
    _title(f"{total}/{total} {NORTHBOUND_TITLE}")
    _northbound(ctx, scenario)
    down = shlex.join(("netsla", "lab", "down", *scenario.global_words(lab_command=True)))
    written = " ".join(str(scenario.report(c).resolve()) for c in CUSTOMERS)
    look = shown_command(("netsla", "sla", "status", *scenario.db_words))
    click.echo(f"\nreports: {written}\nthe store: {look}\nthe lab stays up: {down}", err=True)
