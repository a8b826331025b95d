"""netsla's stable problem codes, and the mapping from libyang's errors.

libyang reports an error class (``LY_VECODE``), an English message and the
data path of the node at fault.  The messages are libyang's, not a stable
interface, so each is matched here once, turned into a :class:`ProblemCode`
(stable, for scripts) and a message for network engineers; an unrecognised
message keeps libyang's text under :attr:`ProblemCode.INVALID_DATA`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from controller.yangmodels import ErrorKind, LyError


class ProblemCode(StrEnum):
    """Stable codes of validation problems (like pyang's error codes)."""

    INVALID_TYPE = "invalid-type"
    INVALID_IDENTITY = "invalid-identity"
    PATTERN_MISMATCH = "pattern-mismatch"
    OUT_OF_RANGE = "out-of-range"
    LENGTH_MISMATCH = "length-mismatch"
    MISSING_MANDATORY = "missing-mandatory"
    DANGLING_LEAFREF = "dangling-leafref"
    MUST_VIOLATION = "must-violation"
    WHEN_VIOLATION = "when-violation"
    DUPLICATE_KEY = "duplicate-key"
    UNIQUE_VIOLATION = "unique-violation"
    TOO_FEW_ELEMENTS = "too-few-elements"
    TOO_MANY_ELEMENTS = "too-many-elements"
    UNKNOWN_NODE = "unknown-node"
    STATE_DATA = "unexpected-state-data"
    MALFORMED_JSON = "malformed-json"
    MALFORMED_XML = "malformed-xml"
    HOSTILE_XML = "hostile-xml"
    DOCUMENT_TOO_LARGE = "document-too-large"
    DOCUMENT_TOO_DEEP = "document-too-deep"
    UNREADABLE = "unreadable-document"
    INVALID_DATA = "invalid-data"
    VALIDATION_STOPPED = "validation-stopped"


@dataclass(frozen=True)
class Diagnosis:
    """A libyang error in netsla's terms.

    ``path`` is the YANG data path of the faulty node; for a missing node it
    is the path the node would have.  ``prune`` is the path of the node to
    remove so that validation can go on past this problem.
    """

    code: ProblemCode
    path: str
    message: str
    prune: str


def _q(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.DOTALL)


# (regex on libyang's message, code, how the message reads for an engineer)
_VALUE_RULES: tuple[tuple[re.Pattern[str], ProblemCode, str], ...] = (
    (
        _q(r'^Unsatisfied pattern - "(?P<v>.*)" does not conform to'),
        ProblemCode.PATTERN_MISMATCH,
        'value "{v}" does not have the required format',
    ),
    (
        _q(r'^Unsatisfied length - string "(?P<v>.*)" length is not allowed'),
        ProblemCode.LENGTH_MISMATCH,
        'value "{v}" is too short or too long',
    ),
    (
        _q(r'^Value "(?P<v>.*)" is out of type \S+ min/max bounds'),
        ProblemCode.OUT_OF_RANGE,
        "value {v} is outside what the type can hold",
    ),
    (
        _q(r'^Unsatisfied range - value "(?P<v>.*)" is out of the allowed range'),
        ProblemCode.OUT_OF_RANGE,
        "value {v} is outside the allowed range",
    ),
    (
        _q(r'^Invalid identityref "(?P<v>.*?)" value'),
        ProblemCode.INVALID_IDENTITY,
        'identity "{v}" is not known (give it as module:identity)',
    ),
    (
        _q(r"^Invalid enumeration value \"(?P<v>.*?)\""),
        ProblemCode.INVALID_TYPE,
        'value "{v}" is not one of the allowed names',
    ),
    (
        _q(r'^Invalid non-(?P<t>\S+)-encoded (?P<y>\S+) value "(?P<v>.*)"'),
        ProblemCode.INVALID_TYPE,
        'value "{v}" of type {y} is wrongly encoded (RFC 7951: 64-bit numbers and decimals'
        " are strings, 8-32-bit numbers are numbers)",
    ),
    (
        _q(r'^Invalid (?:type )?(?P<y>\S+) value "(?P<v>.*)"'),
        ProblemCode.INVALID_TYPE,
        'value "{v}" is not a valid {y}',
    ),
    (
        _q(r'^Value "(?P<v>.*)" of decimal64 type exceeds defined number \((?P<n>\d+)\)'),
        ProblemCode.INVALID_TYPE,
        "value {v} has more than {n} decimals",
    ),
    (_q(r"^Invalid .*value"), ProblemCode.INVALID_TYPE, "{m}"),
)

_UNKNOWN = _q(r'^Node "(?P<n>[^"]+)" not found (as a child of "[^"]+" node|in the "[^"]+" module)')
_UNQUALIFIED = _q(r'^Top-level JSON object member "(?P<n>[^"]+)" must be namespace-qualified')
_NO_MODULE = _q(r'^No module (named|with namespace) "(?P<n>[^"]+)" in the context')
_MANDATORY = _q(
    r'^Mandatory (node|choice) "(?P<n>[^"]+)" (instance does not exist|data do not exist)'
)
_LEAFREF = _q(
    r'^Invalid leafref value "(?P<v>.*?)" - no (target|existing target) instance "(?P<t>.*?)"'
)
_WHEN = _q(r'^When condition "(?P<c>.*)" not satisfied')
_MUST = _q(r'^Must condition "(?P<c>.*)" not satisfied')
_DUPLICATE = _q(r'^Duplicate instance of "(?P<n>[^"]+)"')
_UNIQUE = _q(
    r'^Unique data leaf\(s\) "(?P<l>[^"]+)" not satisfied in "(?P<a>[^"]+)" and "(?P<b>[^"]+)"'
)
_TOO_FEW = _q(r'^Too few "(?P<n>[^"]+)" instances')
_TOO_MANY = _q(r'^Too many "(?P<n>[^"]+)" instances')
_STATE = _q(r'^(Unexpected|Invalid) (data )?state (data )?node "(?P<n>[^"]+)"')


def diagnose(error: LyError) -> Diagnosis:
    """Turn one libyang error into netsla's code, path, message and prune point."""
    path = error.path or ""
    text = error.message
    for matcher in (_structure, _reference, _value):
        found = matcher(text, path, error)
        if found is not None:
            return found
    return Diagnosis(ProblemCode.INVALID_DATA, path or "/", text.rstrip("."), path)


def _child(path: str, name: str) -> str:
    if path.rpartition("/")[2].rpartition(":")[2] == name:
        return path  # libyang gave the missing node's own schema path
    return f"{path}/{name}" if path else f"/{name}"


def _structure(text: str, path: str, error: LyError) -> Diagnosis | None:
    if m := _UNKNOWN.match(text) or _NO_MODULE.match(text) or _UNQUALIFIED.match(text):
        where = _child(path, m["n"])
        message = f'"{m["n"]}" is not a node of the netsla data model here'
        return Diagnosis(
            ProblemCode.UNKNOWN_NODE, where, f"{message} (misspelt, or not supported)", where
        )
    if m := _MANDATORY.match(text):
        missing = f'mandatory "{m["n"]}" is missing'
        return Diagnosis(ProblemCode.MISSING_MANDATORY, _child(path, m["n"]), missing, path)
    if m := _TOO_FEW.match(text):
        few = f'too few "{m["n"]}" entries'
        return Diagnosis(ProblemCode.TOO_FEW_ELEMENTS, _child(path, m["n"]), few, path)
    if m := _UNIQUE.match(text):
        same = f'"{m["l"]}" must be unique but is the same in {m["a"]} and {m["b"]}'
        return Diagnosis(ProblemCode.UNIQUE_VIOLATION, m["a"], same, m["a"])
    return _at_node(text, path)


# Problems reported at the faulty node itself: (regex, code, message template).
_AT_NODE: tuple[tuple[re.Pattern[str], ProblemCode, str], ...] = (
    (_DUPLICATE, ProblemCode.DUPLICATE_KEY, '"{n}" entry with this key is given more than once'),
    (_TOO_MANY, ProblemCode.TOO_MANY_ELEMENTS, 'too many "{n}" entries'),
    (
        _STATE,
        ProblemCode.STATE_DATA,
        '"{n}" is operational state (config false), not configuration',
    ),
)


def _at_node(text: str, path: str) -> Diagnosis | None:
    for pattern, code, template in _AT_NODE:
        if m := pattern.match(text):
            return Diagnosis(code, path, template.format(**m.groupdict()), path)
    return None


def _reference(text: str, path: str, error: LyError) -> Diagnosis | None:
    if m := _LEAFREF.match(text):
        return Diagnosis(
            ProblemCode.DANGLING_LEAFREF,
            path,
            f'"{m["v"]}" refers to nothing: no {m["t"]} has this value',
            path,
        )
    if m := _WHEN.match(text):
        return Diagnosis(
            ProblemCode.WHEN_VIOLATION, path, f"this node is only allowed when {m['c']}", path
        )
    if m := _MUST.match(text):
        return Diagnosis(ProblemCode.MUST_VIOLATION, path, f"constraint not met: {m['c']}", path)
    if error.apptag == "must-violation" or (error.kind == ErrorKind.DATA and error.apptag):
        # A must statement's own error-message replaces libyang's text.
        return Diagnosis(ProblemCode.MUST_VIOLATION, path, " ".join(text.split()), path)
    return None


def _value(text: str, path: str, error: LyError) -> Diagnosis | None:
    for pattern, code, template in _VALUE_RULES:
        if m := pattern.match(text):
            fields = {**m.groupdict(), "m": text.rstrip(".")}
            return Diagnosis(code, path, template.format(**fields), path)
    return None
