"""controller.jsontext: orjson texts read back as json's, json's exact bytes where digested."""

from __future__ import annotations

import json

import pytest

from controller.jsontext import dumps, dumps_as_json

TRICKY = [
    {},
    {"b": [1, 2, True, None], "a": {"z": "é", "y": ("t", "u")}},
    ['quote " backslash \\ slash / tab \t newline \n', "€ \u2028 \x00 😀"],
    ["".join(map(chr, range(128)))],  # every ASCII character, controls and DEL included
    [2**64, -(2**63) - 1],  # beyond orjson's 64-bit integers
    {"z": "1", "A": "2", "m/n": ("", "b", "a")},
]


@pytest.mark.parametrize("value", TRICKY)
@pytest.mark.parametrize("sort_keys", [False, True])
def test_dumps_reads_back_as_the_value_compact_and_in_key_order(
    value: object, sort_keys: bool
) -> None:
    text = dumps(value, sort_keys=sort_keys)
    listed = json.loads(json.dumps(value))  # tuples as lists
    assert json.loads(text) == listed
    assert text == json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=sort_keys)


@pytest.mark.parametrize("value", TRICKY)
@pytest.mark.parametrize("sort_keys", [False, True])
def test_dumps_as_json_is_exactly_json_dumps_compact(value: object, sort_keys: bool) -> None:
    expected = json.dumps(value, separators=(",", ":"), sort_keys=sort_keys).encode()
    assert dumps_as_json(value, sort_keys=sort_keys) == expected
