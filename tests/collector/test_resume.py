"""A restarted collector takes its previous readings from the store: the first round has rates."""

from __future__ import annotations

from controller.sampling import Sampler, Source
from controller.store import Store
from controller.store.telemetry import TelemetryRepository
from southbound.opstate import InterfaceCounter, InterfaceState, OperStatus

US = 1_000_000
T0 = 1_790_000_000 * US


def _state(octets: int) -> InterfaceState:
    return InterfaceState(
        name="eth1", oper_status=OperStatus.UP, counters={InterfaceCounter.IN_OCTETS: octets}
    )


def _first_run(store: Store, *, uptime: int) -> None:
    """An earlier collector: one SNMP poll stored (counters and sysUpTime at the same time)."""
    sampler = Sampler()
    samples = sampler.interfaces(
        device="pe1", source=Source.SNMP, states=[_state(1_000)], at_us=T0, uptime=uptime
    )
    samples.append(Sampler.uptime(device="pe1", source=Source.SNMP, uptime=uptime, at_us=T0))
    TelemetryRepository(store).write_samples(samples)


def _in_octets_rate(store: Store, *, octets: int, uptime: int, seconds: int) -> float | None:
    """A new collector's first poll, ``seconds`` after the stored one."""
    sampler = Sampler()
    latest = TelemetryRepository(store).latest(devices=["pe1", "pe9"], source=Source.SNMP)
    assert sampler.resume(latest) == 1  # in-octets only: the gauges are not counters
    samples = sampler.interfaces(
        device="pe1",
        source=Source.SNMP,
        states=[_state(octets)],
        at_us=T0 + seconds * US,
        uptime=uptime,
    )
    (sample,) = [s for s in samples if s.series.metric == "in-octets"]
    return sample.rate


def test_first_round_after_a_restart_has_the_rate_over_the_gap(store: Store) -> None:
    _first_run(store, uptime=50_000)
    rate = _in_octets_rate(store, octets=61_000, uptime=50_000 + 60 * 100, seconds=60)
    assert rate == 1_000.0


def test_agent_restarted_while_nobody_polled_gives_no_rate(store: Store) -> None:
    _first_run(store, uptime=50_000)
    # sysUpTime says 10 s while 60 s passed: the agent re-initialised meanwhile.
    assert _in_octets_rate(store, octets=61_000, uptime=1_000, seconds=60) is None


def test_latest_takes_the_newest_sample_of_each_series(store: Store) -> None:
    _first_run(store, uptime=50_000)
    sampler = Sampler()
    later = sampler.interfaces(
        device="pe1", source=Source.SNMP, states=[_state(2_000)], at_us=T0 + US, uptime=50_100
    )
    repo = TelemetryRepository(store)
    repo.write_samples(later)
    latest = repo.latest(devices=["pe1"], source=Source.SNMP)
    octets = {k.metric: v for k, v in latest.items() if k.object == "eth1"}["in-octets"]
    assert (octets.at_us, octets.value) == (T0 + US, 2_000.0)
    assert repo.latest(devices=["pe1"], source=Source.NETCONF) == {}
    # Without a sysUpTime read at the same time, the reading is not resumed.
    assert Sampler().resume(latest) == 0
