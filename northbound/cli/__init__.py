"""The ``netsla`` command line.

Each subcommand group lives in its own module and is registered here
explicitly.  Known errors of every layer (each package has one exception
root) are turned into one line on stderr and a non-zero exit status; an
unexpected exception is a bug and keeps its traceback.
"""

from __future__ import annotations

import sys

import click

from controller.errors import ControllerError
from lab.errors import LabError
from northbound.cli.output import EXIT_BAD_INPUT, EXIT_FAILURE
from southbound.errors import SouthboundError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="netsla")
def cli() -> None:
    """netsla: model-driven NETCONF/YANG controller for customer VPNs with SLAs."""


def _register() -> None:
    from northbound.cli import (
        alarm,
        collect,
        demo,
        device,
        incident,
        lab,
        serve,
        service,
        sla,
        token,
        transaction,
        validate,
    )

    cli.add_command(collect.collect_command)
    cli.add_command(collect.collector_group)
    cli.add_command(lab.group)
    cli.add_command(sla.group)
    cli.add_command(validate.command)
    cli.add_command(service.group)
    cli.add_command(transaction.group)
    cli.add_command(device.group)
    cli.add_command(incident.group)
    cli.add_command(alarm.group)
    cli.add_command(serve.command)
    cli.add_command(token.group)
    cli.add_command(demo.command)


_register()


def main() -> None:
    """Console entry point: run the CLI, turning netsla errors into exit codes."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("netsla: aborted", err=True)
        sys.exit(EXIT_FAILURE)
    except click.UsageError as exc:
        # One line, like every other error: the problem and where help is.
        where = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
        click.echo(f"netsla: error: {exc.format_message()}{where}", err=True)
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        click.echo(f"netsla: error: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)
    except (ControllerError, SouthboundError, LabError) as exc:
        # Errors that mean "your input is wrong" subclass ValueError.
        click.echo(f"netsla: error: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT if isinstance(exc, ValueError) else EXIT_FAILURE)
