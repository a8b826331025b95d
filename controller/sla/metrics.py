"""The SLA metrics, named as in the YANG model netsla-sla.

Network metrics follow ITU-T Y.1540 (IPTD clause 6.2, IPDV as stated by
Y.1541 clause 5.3, IPLR clause 6.4, IP service availability clause 7);
process metrics follow the hybrid-SLA practice of ITU-T M.3342 / E.800
(time to restore service, time to provide service, trouble ticket response).
"""

from __future__ import annotations

from enum import StrEnum


class Metric(StrEnum):
    DELAY_MS = "delay-ms"
    DELAY_VARIATION_MS = "delay-variation-ms"
    LOSS_RATIO = "loss-ratio"
    AVAILABILITY_PERCENT = "availability-percent"
    MTTR_MINUTES = "mttr-minutes"
    PROVISIONING_DAYS = "provisioning-days"
    TICKET_RESPONSE_MINUTES = "ticket-response-minutes"

    @property
    def higher_is_better(self) -> bool:
        """True only for availability: every other metric is a cost (lower is better)."""
        return self is Metric.AVAILABILITY_PERCENT


NETWORK_METRICS: tuple[Metric, ...] = (
    Metric.DELAY_MS,
    Metric.DELAY_VARIATION_MS,
    Metric.LOSS_RATIO,
    Metric.AVAILABILITY_PERCENT,
)
PROCESS_METRICS: tuple[Metric, ...] = (
    Metric.MTTR_MINUTES,
    Metric.PROVISIONING_DAYS,
    Metric.TICKET_RESPONSE_MINUTES,
)
