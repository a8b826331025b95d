"""``netsla token``: API tokens of the gRPC northbound (``netsla serve``).

A token is printed once, when it is created; the store keeps only a salted
digest of it (:mod:`controller.tokens`).
"""

from __future__ import annotations

import click

from controller.sla.evaluate import format_time
from controller.store.tokens import TokenRecord
from controller.tokens import Role, Tokens
from northbound.cli.options import database_option
from northbound.cli.output import EXIT_BAD_INPUT, emit, fail, format_option
from northbound.cli.slastore import store_at


@click.group(name="token")
def group() -> None:
    """API tokens: each bound to one customer or to the operator role."""


@group.command(name="create")
@click.option("--customer", help="The customer the token sees (netsla-sla customer name).")
@click.option("--operator", is_flag=True, help="A token that sees every customer.")
@click.option("--description", default="", help="What the token is for (shown by 'list').")
@database_option
def create_command(
    *, customer: str | None, operator: bool, description: str, database: str | None
) -> None:
    """Create a token and print it (once: it cannot be shown again)."""
    if operator == bool(customer):
        fail("give either --customer NAME or --operator", status=EXIT_BAD_INPUT)
    role = Role.OPERATOR if operator else Role.CUSTOMER
    issued = Tokens(store_at(database)).create(
        role=role, customer=customer, description=description
    )
    who = "the operator role" if operator else f"customer {customer}"
    click.echo(f"token {issued.record.token_id} for {who}; it is shown only now:", err=True)
    click.echo(issued.text)


def _row(record: TokenRecord) -> dict[str, object]:
    return {
        "id": record.token_id,
        "role": record.role,
        "customer": record.customer,
        "created": format_time(record.created_us),
        "revoked": None if record.revoked_us is None else format_time(record.revoked_us),
        "description": record.description,
    }


@group.command(name="list")
@database_option
@format_option
def list_command(*, database: str | None, output_format: str) -> None:
    """Tokens: id, role, customer, when created and revoked (never the token itself)."""
    rows = [_row(r) for r in Tokens(store_at(database)).list()]
    columns = ["id", "role", "customer", "created", "revoked", "description"]
    emit(rows, output_format, headers=columns, rows=lambda d: [[r[c] for c in columns] for r in d])


@group.command(name="revoke")
@click.argument("token_id")
@database_option
def revoke_command(*, token_id: str, database: str | None) -> None:
    """Revoke a token by its id: calls with it are refused from now on."""
    record = Tokens(store_at(database)).revoke(token_id)
    click.echo(f"token {record.token_id} revoked")
