"""Pure helpers: data paths, and the mapping of libyang messages to codes."""

from __future__ import annotations

from controller.documents import Step, parent_path, split_path
from controller.yangerrors import ProblemCode, diagnose
from controller.yangmodels import ErrorKind, LyError


def error(message: str, path: str | None = "/m:a/b[k='x/y']") -> LyError:
    return LyError(kind=ErrorKind.DATA, message=message, path=path, line=None, apptag=None)


def test_split_path_keeps_slashes_inside_keys() -> None:
    assert split_path("/m:a/b[k='x/y'][j=\"2\"]/c") == [
        Step("m:a", ()),
        Step("b", (("k", "x/y"), ("j", "2"))),
        Step("c", ()),
    ]
    assert parent_path("/m:a/b[k='x/y']/c") == "/m:a/b[k='x/y']"
    assert parent_path("/m:a") == ""


def test_messages_map_to_stable_codes() -> None:
    cases = {
        'Unsatisfied pattern - "1.2.3" does not conform to "x".': ProblemCode.PATTERN_MISMATCH,
        'Value "70000" is out of type uint16 min/max bounds.': ProblemCode.OUT_OF_RANGE,
        'Unsatisfied range - value "-1.0" is out of the allowed range.': ProblemCode.OUT_OF_RANGE,
        'Invalid type uint64 value "abc".': ProblemCode.INVALID_TYPE,
        'Invalid leafref value "v" - no target instance "/m:x/y" with the same value.': (
            ProblemCode.DANGLING_LEAFREF
        ),
        "When condition \"../t = 'a'\" not satisfied.": ProblemCode.WHEN_VIOLATION,
        'Must condition "count(x) > 1" not satisfied.': ProblemCode.MUST_VIOLATION,
        'Duplicate instance of "b".': ProblemCode.DUPLICATE_KEY,
        'Too many "b" instances.': ProblemCode.TOO_MANY_ELEMENTS,
        'Too few "b" instances.': ProblemCode.TOO_FEW_ELEMENTS,
        'Node "zz" not found as a child of "b" node.': ProblemCode.UNKNOWN_NODE,
        "Something libyang never said.": ProblemCode.INVALID_DATA,
    }
    for message, code in cases.items():
        assert diagnose(error(message)).code is code, message


def test_missing_node_path_and_prune_point() -> None:
    found = diagnose(error('Mandatory node "c" instance does not exist.'))
    assert (found.path, found.prune) == ("/m:a/b[k='x/y']/c", "/m:a/b[k='x/y']")
    unknown = diagnose(error('Node "zz" not found as a child of "b" node.'))
    assert unknown.path == unknown.prune == "/m:a/b[k='x/y']/zz"
