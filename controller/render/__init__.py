"""Renderers: validated service data plus allocations -> native config (plain data).

One module per device platform, registered in :data:`PLATFORMS` below.
A renderer is a pure function; it never touches a device or the store.
Adding a platform means writing one module with a ``SCHEMA`` and a
``render`` function and adding it to the mapping.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Protocol

from controller.errors import InputError
from controller.render import netsla_router
from controller.render.l3sm import Access, Service
from controller.render.resources import ProbeProfile, Resources
from controller.render.tree import Config, PlatformSchema


class RenderFunction(Protocol):
    def __call__(
        self,
        *,
        service: Service,
        device: str,
        accesses: Sequence[Access],
        resources: Resources,
        sla: Mapping[str, ProbeProfile],
    ) -> Config: ...


@dataclass(frozen=True, slots=True)
class Platform:
    """What the controller knows about one device platform."""

    name: str
    schema: PlatformSchema
    render: RenderFunction


PLATFORMS: Mapping[str, Platform] = MappingProxyType(
    {
        netsla_router.PLATFORM: Platform(
            name=netsla_router.PLATFORM,
            schema=netsla_router.SCHEMA,
            render=netsla_router.render,
        ),
    }
)


class UnknownPlatform(InputError):
    """A device's platform has no renderer."""


def platform(name: str) -> Platform:
    try:
        return PLATFORMS[name]
    except KeyError:
        known = ", ".join(sorted(PLATFORMS))
        raise UnknownPlatform(f"no renderer for platform {name!r} (known: {known})") from None


def devices_of(service: Service) -> dict[str, list[Access]]:
    """The service's accesses grouped by PE device."""
    out: dict[str, list[Access]] = {}
    for access in service.accesses:
        out.setdefault(access.device, []).append(access)
    return out


def render_service(
    service: Service,
    *,
    platforms: Mapping[str, str],
    resources: Resources,
    sla: Mapping[str, ProbeProfile],
) -> dict[str, Config]:
    """Per device, the native config the service needs; ``platforms`` maps device to platform."""
    out: dict[str, Config] = {}
    for device, accesses in sorted(devices_of(service).items()):
        if device not in platforms:
            raise InputError(
                f"service {service.service_id}: device {device!r} is not in the inventory"
            )
        renderer = platform(platforms[device]).render
        out[device] = renderer(
            service=service, device=device, accesses=accesses, resources=resources, sla=sla
        )
    return out
