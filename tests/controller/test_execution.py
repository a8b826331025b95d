"""Execution helpers that need no device: the GIL switch interval while RPCs are in flight."""

from __future__ import annotations

import sys

import pytest

from controller.execution import SWITCH_INTERVAL, prompt_replies


def test_the_switch_interval_is_short_while_transactions_run_and_put_back_after() -> None:
    before = sys.getswitchinterval()
    assert before > SWITCH_INTERVAL
    with prompt_replies():
        assert sys.getswitchinterval() == pytest.approx(SWITCH_INTERVAL)
        with prompt_replies():  # a second transaction at the same time
            assert sys.getswitchinterval() == pytest.approx(SWITCH_INTERVAL)
        assert sys.getswitchinterval() == pytest.approx(SWITCH_INTERVAL)
    assert sys.getswitchinterval() == before


def test_the_switch_interval_is_put_back_when_a_transaction_raises() -> None:
    before = sys.getswitchinterval()
    with pytest.raises(RuntimeError), prompt_replies():
        raise RuntimeError("device gone")
    assert sys.getswitchinterval() == before
