"""Validation of instance documents against netsla's full YANG module set.

One call checks RFC 7951 JSON or XML instance data against
``ietf-l3vpn-svc`` (RFC 8299) with netsla's deviations and augmentation,
``netsla-sla`` and ``netsla-router``, with every YANG constraint (RFC 7950
Section 8): types, patterns, ranges, lengths, mandatory nodes, min/max
elements, unique, leafref, must and when.  The checking is libyang's.

Every problem is reported at once.  libyang 2.1 stops at the first error of
a parse or a validation, so netsla repeats them: it records the problem,
removes the faulty node (from the source document for parse errors, from
the data tree for validation errors) and goes on.  Problems that follow
only from such a removal (a mandatory node netsla removed, a reference to a
list entry netsla removed) are not reported.  A syntax error (malformed
JSON or XML) ends the reading of its document.  ``Limits.max_problems``
bounds the work a hostile document can cause: past it, a
``validation-stopped`` problem says that more may follow.

Several documents are validated as one datastore: a service document may
refer to the SLA templates of another; each problem names its document.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from lxml import etree

from controller.documents import (
    DocumentRefused,
    Limits,
    parent_path,
    read_document,
    split_path,
)
from controller.errors import InputError
from controller.render.xml import NETCONF_BASE
from controller.yangerrors import Diagnosis, ProblemCode, diagnose
from controller.yangmodels import (
    DataFormat,
    DataTree,
    ErrorKind,
    LyError,
    LyFailure,
    ModelSet,
    locked,
    model_set,
    parse,
)

DocFormat = DataFormat
_QUOTED = re.compile(r'"([^"]*)"')
_MISSING = (ProblemCode.MISSING_MANDATORY, ProblemCode.TOO_FEW_ELEMENTS)
_SYNTAX = (ErrorKind.SYNTAX_JSON, ErrorKind.SYNTAX_XML, ErrorKind.SYNTAX)
_MALFORMED = {
    DataFormat.JSON: ProblemCode.MALFORMED_JSON,
    DataFormat.XML: ProblemCode.MALFORMED_XML,
}
__all__ = [
    "DocFormat",
    "Document",
    "Limits",
    "Problem",
    "ProblemCode",
    "ValidationFailed",
    "ValidationResult",
    "render",
    "validate_document",
    "validate_documents",
    "validated_data",
]


@dataclass(frozen=True)
class Problem:
    """One problem: stable code, YANG data path, message, document and line."""

    code: ProblemCode
    path: str
    message: str
    file: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.file or '<document>'}: {self.path}: {self.code}: {self.message}"


@dataclass(frozen=True)
class Document:
    """An instance document to validate, and where it came from."""

    text: bytes | str
    fmt: DataFormat
    source: str | None = None


@dataclass(frozen=True)
class ValidationResult:
    """All problems found; ``data`` is the validated RFC 7951 data when there are none."""

    problems: tuple[Problem, ...]
    data: dict[str, Any] | None = field(default=None, compare=False)

    @property
    def ok(self) -> bool:
        return not self.problems


class ValidationFailed(InputError):
    """Instance data is invalid; ``problems`` lists every problem found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        first = f": {self.problems[0]}" if self.problems else ""
        super().__init__(f"{len(self.problems)} problem(s) in instance data{first}")


class _Run:
    """Bookkeeping of one validation: problems found, nodes removed, budget."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.problems: list[Problem] = []
        self.removed: list[str] = []
        self.stopped = False

    def add(
        self,
        diagnosis: Diagnosis,
        *,
        file: str | None,
        line: int | None,
        value: str | None = None,
    ) -> None:
        if not _is_consequence(diagnosis, self.removed, value):
            self.problems.append(
                Problem(diagnosis.code, diagnosis.path, diagnosis.message, file, line)
            )
        self.removed.append(diagnosis.prune)

    def over_budget(self) -> bool:
        return len(self.problems) >= self.limits.max_problems

    def stop(self, *, file: str | None, path: str, why: str) -> None:
        self.stopped = True
        message = f"validation stopped: {why}; fix the problems above and validate again"
        self.problems.append(Problem(ProblemCode.VALIDATION_STOPPED, path or "/", message, file))


def _local_steps(path: str) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
    return [
        (s.local, tuple((k.rpartition(":")[2], v) for k, v in s.keys)) for s in split_path(path)
    ]


def _is_consequence(diagnosis: Diagnosis, removed: Sequence[str], value: str | None) -> bool:
    """Whether a problem only follows from netsla having removed a faulty node.

    A missing node is a consequence when netsla removed something inside the
    instance that lacks it; a dangling reference when it names a list entry
    netsla removed; a must violation when its node (by its value or its
    keys) names a node netsla removed.  The last is a heuristic: musts are
    opaque expressions.
    """
    if diagnosis.code in _MISSING:
        return any(r.startswith(diagnosis.prune + "/") for r in removed)
    if diagnosis.code is ProblemCode.DANGLING_LEAFREF:
        return _refers_to_removed(diagnosis.message, removed)
    if diagnosis.code is ProblemCode.MUST_VIOLATION and removed:
        steps = split_path(diagnosis.path)
        mine = {v for _, v in steps[-1].keys} | ({value} if value else set())
        gone: set[str] = set()
        for path in removed:
            last = split_path(path)[-1:]
            gone.update(s.local for s in last)
            gone.update(v for s in last for _, v in s.keys)
        return bool(mine & gone)
    return False


def _refers_to_removed(message: str, removed: Iterable[str]) -> bool:
    value, _, rest = message.partition('" refers to nothing: no ')
    target = [name for name, _ in _local_steps(rest.partition(" has this value")[0])]
    for path in removed:
        steps = _local_steps(path)
        names = [name for name, _ in steps]
        if steps and names == target[:-1] and (target[-1], value.lstrip('"')) in steps[-1][1]:
            return True
    return False


def _as_bytes(text: bytes | str) -> bytes:
    return text.encode("utf-8") if isinstance(text, str) else text


def _value_of(message: str) -> str | None:
    """The first quoted value in a libyang message about an invalid value."""
    match = _QUOTED.search(message)
    return match[1] if match else None


def _parse_phase(
    models: ModelSet, doc: Document, run: _Run, *, allow_state: bool
) -> DataTree | None:
    """Parse ``doc``, removing each node libyang refuses, until it parses."""
    try:
        source = read_document(_as_bytes(doc.text), doc.fmt, run.limits)
    except DocumentRefused as refused:
        run.problems.append(Problem(refused.code, "/", refused.message, doc.source))
        return None
    while True:
        try:
            return parse(models, source.serialise(), doc.fmt, allow_state=allow_state)
        except LyFailure as failure:
            error = failure.errors[0]
            diagnosis = diagnose(error)
            if diagnosis.code is ProblemCode.INVALID_DATA and error.kind in _SYNTAX:
                code = _MALFORMED[doc.fmt]
                problem = Problem(code, error.path or "/", error.message, doc.source, error.line)
                run.problems.append(problem)
                return None
            run.add(diagnosis, file=doc.source, line=error.line)
            if run.over_budget():
                run.stop(file=doc.source, path=diagnosis.path, why="too many problems")
                return None
            if not source.remove(diagnosis.prune, value=_value_of(error.message)):
                run.stop(file=doc.source, path=diagnosis.path, why="cannot read past this problem")
                return None


def _validate_phase(tree: DataTree, run: _Run, owner: _Owner) -> bool:
    """Validate ``tree``, removing each faulty node, until it validates."""
    clean, previous = True, ""
    while True:
        try:
            tree.validate()
            return clean
        except LyFailure as failure:
            clean = False
            error = failure.errors[0]
            diagnosis = _locate(tree, error, diagnose(error))
            prune = diagnosis.prune
            if prune == previous:
                # Removing the node did not help (libyang re-creates empty
                # non-presence containers): remove its parent instead.
                prune = parent_path(prune)
            else:
                value = tree.value(diagnosis.path)
                run.add(diagnosis, file=owner.of(prune), line=None, value=value)
            previous = prune
            duplicate = diagnosis.code is ProblemCode.DUPLICATE_KEY
            if run.over_budget():
                run.stop(file=owner.of(prune), path=diagnosis.path, why="too many problems")
                return False
            if not prune or not tree.remove(prune, last=duplicate):
                why = "cannot validate past this problem"
                run.stop(file=owner.of(prune), path=diagnosis.path, why=why)
                return False


def _locate(tree: DataTree, error: LyError, diagnosis: Diagnosis) -> Diagnosis:
    """Give a missing-node problem the data path of the instance that lacks the node."""
    if not error.schema_path or diagnosis.code not in _MISSING or not error.path:
        return diagnosis
    name = diagnosis.path.rpartition("/")[2].rpartition(":")[2]
    parent = parent_path(error.path)
    instance = tree.lacking(parent, name)
    if instance is None:
        return diagnosis
    return replace(diagnosis, path=f"{instance}/{name}", prune=instance)


class _Owner:
    """Which document holds a node, for multi-document validation."""

    def __init__(self, trees: Sequence[tuple[str | None, DataTree]]) -> None:
        self.trees = trees

    def of(self, path: str) -> str | None:
        if len(self.trees) == 1:
            return self.trees[0][0]
        probe = path
        while probe:
            owners = [name for name, tree in self.trees if tree.find(probe) is not None]
            if owners:
                return owners[-1]
            probe = probe.rpartition("/")[0]
        return None


def _merge(target: dict[str, Any], extra: dict[str, Any]) -> None:
    """Deep-merge RFC 7951 data: containers merge, list entries add up."""
    for key, value in extra.items():
        if key in target and isinstance(target[key], dict) and isinstance(value, dict):
            _merge(target[key], value)
        elif key in target and isinstance(target[key], list) and isinstance(value, list):
            target[key].extend(value)
        else:
            target[key] = value


def validate_documents(
    documents: Sequence[Document], *, limits: Limits | None = None, allow_state: bool = False
) -> ValidationResult:
    """Validate ``documents`` together, as one datastore; report every problem.

    ``allow_state`` admits operational (config false) nodes, as in a
    ``<get>`` reply; configuration documents leave it False.
    """
    run = _Run(limits or Limits())
    models = model_set()
    with locked(models):
        parsed: list[tuple[str | None, DataTree]] = []
        try:
            for doc in documents:
                tree = _parse_phase(models, doc, run, allow_state=allow_state)
                if tree is not None:
                    parsed.append((doc.source, tree))
            if run.stopped or not parsed:
                return ValidationResult(tuple(run.problems))
            return _validate_all(models, parsed, run, allow_state=allow_state)
        finally:
            for _, tree in parsed:
                tree.free()


def _validate_all(
    models: ModelSet, parsed: list[tuple[str | None, DataTree]], run: _Run, *, allow_state: bool
) -> ValidationResult:
    if len(parsed) == 1:
        whole, owned = parsed[0][1], False
    else:
        merged: dict[str, Any] = {}
        for _, tree in parsed:
            _merge(merged, json.loads(tree.dump(DataFormat.JSON)))
        whole = parse(models, json.dumps(merged).encode(), DataFormat.JSON, allow_state=allow_state)
        owned = True
    try:
        valid = _validate_phase(whole, run, _Owner(parsed))
        if valid and not run.problems:
            return ValidationResult((), json.loads(whole.dump(DataFormat.JSON)))
        return ValidationResult(tuple(run.problems))
    finally:
        if owned:
            whole.free()


def validate_document(
    text: bytes | str,
    *,
    fmt: DataFormat,
    source: str | None = None,
    limits: Limits | None = None,
    allow_state: bool = False,
) -> ValidationResult:
    """Validate one instance document; see :func:`validate_documents`."""
    return validate_documents([Document(text, fmt, source)], limits=limits, allow_state=allow_state)


def validated_data(
    documents: Sequence[Document], *, limits: Limits | None = None
) -> dict[str, Any]:
    """The documents' data as one RFC 7951 JSON object; raise :class:`ValidationFailed`."""
    result = validate_documents(documents, limits=limits)
    if result.data is None:
        raise ValidationFailed(result.problems)
    return result.data


def render(data: dict[str, Any], fmt: DataFormat) -> str:
    """Encode validated RFC 7951 data as JSON, or as XML in a NETCONF ``<config>``."""
    models = model_set()
    with locked(models):
        try:
            tree = parse(models, json.dumps(data).encode(), DataFormat.JSON, allow_state=True)
        except LyFailure as failure:
            raise ValidationFailed(
                [
                    Problem(diagnose(e).code, diagnose(e).path, diagnose(e).message)
                    for e in failure.errors
                ]
            ) from failure
        try:
            if fmt is DataFormat.JSON:
                return tree.dump(fmt)
            # Declare every module prefix on <config>: identity values in text
            # (RFC 7950 Section 9.10.3) keep their prefixes when lxml moves nodes.
            nsmap: dict[Any, str] = {None: NETCONF_BASE, **models.xml_prefixes()}
            config = etree.Element(etree.QName(NETCONF_BASE, "config"), nsmap=nsmap)
            config.extend(etree.fromstring(text) for text in tree.dump_tops(fmt))
            return etree.tostring(config, encoding="unicode")
        finally:
            tree.free()
