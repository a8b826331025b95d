"""Process metrics of a hybrid SLA (ITU-T M.3342, E.800; TM Forum GB917).

- mttr-minutes: the mean time to restore service, the mean of
  (cleared - opened) over the incidents *cleared* within the period
  [from, to) that are not marked excluded (planned maintenance, caused by
  the customer). An incident opened before ``from`` but cleared inside the
  period counts with its whole duration; one still open at ``to`` counts
  in the period in which it is cleared.
- provisioning-days: the longest time to provide service, the largest
  (delivered - ordered) over the orders delivered within [from, to).
- ticket-response-minutes: the longest trouble ticket response time, the
  largest (response - opened) over the incidents *opened* within
  [from, to) that are not excluded; the response is the operator's first
  response, or the clearing if that came first (restoring service answers
  the ticket), even after ``to``; a ticket with neither counts until
  ``to``, so an unanswered ticket cannot keep a period compliant.

Times are microseconds since the epoch; results are exact fractions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

US_PER_MINUTE = 60_000_000
US_PER_DAY = 86_400_000_000


@dataclass(frozen=True, slots=True, kw_only=True)
class Incident:
    id: str
    opened_us: int
    cleared_us: int | None
    excluded: bool = False
    responded_us: int | None = None  # the operator's first response, if recorded


@dataclass(frozen=True, slots=True, kw_only=True)
class Order:
    id: str
    ordered_us: int
    delivered_us: int | None


def mttr_minutes(incidents: Iterable[Incident], *, start_us: int, end_us: int) -> Fraction | None:
    """Mean restore time in minutes of the counted incidents; ``None`` if none counts."""
    durations = [
        incident.cleared_us - incident.opened_us
        for incident in incidents
        if incident.cleared_us is not None
        and start_us <= incident.cleared_us < end_us
        and not incident.excluded
    ]
    if not durations:
        return None
    return Fraction(sum(durations), len(durations) * US_PER_MINUTE)


def provisioning_days(orders: Iterable[Order], *, start_us: int, end_us: int) -> Fraction | None:
    """Longest provisioning time in days of the orders delivered in the period."""
    durations = [
        order.delivered_us - order.ordered_us
        for order in orders
        if order.delivered_us is not None and start_us <= order.delivered_us < end_us
    ]
    if not durations:
        return None
    return Fraction(max(durations), US_PER_DAY)


def ticket_response_minutes(
    incidents: Iterable[Incident], *, start_us: int, end_us: int, as_of_us: int | None = None
) -> Fraction | None:
    """Longest response time in minutes of the tickets opened in the period; ``None`` if none.

    A ticket still unanswered counts until the period's end, or until
    ``as_of_us`` (the evaluation's time) when that comes first.
    """
    until = end_us if as_of_us is None else min(end_us, as_of_us)
    durations = [
        _answered_us(incident, until) - incident.opened_us
        for incident in incidents
        if start_us <= incident.opened_us < until and not incident.excluded
    ]
    if not durations:
        return None
    return Fraction(max(durations), US_PER_MINUTE)


def _answered_us(incident: Incident, until_us: int) -> int:
    """When the ticket was answered: its first response or clearing; ``until_us`` if neither."""
    answers = [t for t in (incident.responded_us, incident.cleared_us) if t is not None]
    return min(answers) if answers else until_us
