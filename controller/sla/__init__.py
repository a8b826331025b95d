"""SLA engine: templates of netsla-sla, Y.1540/Y.1541 metrics, compliance and credits.

Modules: :mod:`template` (netsla-sla templates from RFC 7951 JSON),
:mod:`y1541` (Y.1541 Table 1 classes), :mod:`availability` (Y.1540 clause 7),
:mod:`delay` (Y.1540 IPTD, Y.1541 IPDV), :mod:`process` (MTTR, provisioning),
:mod:`compliance` (violations, credits), :mod:`evaluate` (streaming
evaluation over sample batches), :mod:`csvinput` (CSV readers),
:mod:`rfc3339` (vectorised RFC 3339 times).
"""
