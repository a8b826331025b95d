"""The prober's main loop keeps the router's probes going through a failed step."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from lab.prober import WRITE_INTERVAL, Prober
from lab.probes import load


async def _run_until(prober: Prober, done: asyncio.Future[None], stop: asyncio.Event) -> None:
    running = asyncio.create_task(prober.run(stop))
    try:
        await asyncio.wait_for(asyncio.shield(done), 10 * WRITE_INTERVAL)
    finally:
        stop.set()
        await running


def test_a_failed_write_is_logged_and_tried_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "startup.xml"
    config.write_text('<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"/>')
    results = tmp_path / "probes.json"
    results.mkdir()  # the results cannot replace a folder: the first writes fail
    prober = Prober(config=config, results=results)

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        stop = asyncio.Event()

        async def free_the_path() -> None:
            await asyncio.sleep(2 * WRITE_INTERVAL)
            results.rmdir()
            while not results.is_file():
                await asyncio.sleep(0.05)
            done.set_result(None)

        freeing = asyncio.create_task(free_the_path())
        await _run_until(prober, done, stop)
        await freeing

    asyncio.run(scenario())
    assert load(results.read_text()) == []
    log = capsys.readouterr().err
    assert log.count("writing the results failed") == 1  # once while it repeats
    assert "writing the results: works again" in log
