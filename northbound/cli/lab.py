"""``netsla lab``: bring the lab of virtual routers up and down."""

from __future__ import annotations

import click


@click.group(name="lab")
def group() -> None:
    """Virtual PE routers and CE hosts in network namespaces."""
