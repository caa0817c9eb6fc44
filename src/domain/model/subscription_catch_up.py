"""The catch-up of a long backdated start: its terms already over, charged as one fact.

`Subscription.advance` charges a new subscription's past terms one by one (a charge and a
renewal each). A start more than CATCH_UP_AFTER terms back would write that many pairs of
events in one request, so those terms are charged at once instead: one `PastTermsCharged`
whose lines say per product what was covered (ADR 0014). The walk below applies
`pricing.after_term`, as `Subscription._at_term_end` does, to a subscription nobody has
touched yet (no cancellation, no seat changes, the prices it was sold at); a property test
holds the two paths equal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from itertools import groupby
from typing import TYPE_CHECKING, Any, Final

from domain.model.events import LessorEvent
from domain.model.pricing import RenewalOption, Term, after_term, term_price
from domain.model.subscription_lines import ChargeLine, SeatLine
from domain.model.time import add_months

if TYPE_CHECKING:
    from domain.model.subscription import Subscription

# Up to this many past terms (a year of months) are charged one by one, as before; more
# become one catch-up.
CATCH_UP_AFTER: Final = 12


class PeriodCharged(LessorEvent):
    """The fields of a charge for a period (`Subscription.TermCharged`, and the catch-up
    `PastTermsCharged` that charges many terms at once): the charge lines and what the
    invoice run copies from the subscription."""

    period_start: date
    period_end: date
    charges: list[ChargeLine]
    po_reference: str | None
    separate_invoice: bool


class PastTermsCharged(PeriodCharged):
    """The terms of a long backdated start that were over when it was sold, charged at once.

    `Subscription` nests a subclass of the same name: record and match
    `Subscription.PastTermsCharged` (its topic is the subscription module's, ADR 0003).
    The subscription then stands at the last of those terms, charged through its end.
    """

    class_version = 1
    term: Term  # of the last past term
    term_start: date
    months_to_term_start: int
    renewal_option: RenewalOption  # in force during the last past term

    def apply(self, aggregate: Subscription) -> None:
        from domain.model.subscription import SubscriptionStatus  # here: the modules cycle

        aggregate.term_code = str(self.term)
        aggregate.term_start, aggregate.term_end = self.term_start, self.period_end
        aggregate.months_to_term_start = self.months_to_term_start
        aggregate.renewal_option = RenewalOption(self.renewal_option)
        aggregate.charged_through = self.period_end
        aggregate.status = SubscriptionStatus.ACTIVE


def past_terms_charge(subscription: Subscription, today: date) -> dict[str, Any] | None:
    """The fields of the catch-up a new subscription needs on `today`, or None: it was
    charged already, or fewer than CATCH_UP_AFTER terms are over (charged one by one)."""
    if subscription.charged_through > subscription.start_date or subscription.is_ended:
        return None
    terms = past_terms(
        subscription.start_date, subscription.term, subscription.renewal_option, today
    )
    if len(terms) <= CATCH_UP_AFTER:
        return None
    last = terms[-1]
    return {
        "period_start": subscription.start_date,
        "period_end": last.end,
        "charges": catch_up_charges(list(subscription.lines.values()), terms),
        "po_reference": subscription.po_reference,
        "separate_invoice": subscription.separate_invoice,
        "term": last.term,
        "term_start": last.start,
        "months_to_term_start": last.months_to_start,
        "renewal_option": last.renewal_option,
    }


@dataclass(frozen=True, slots=True)
class PastTerm:
    term: Term
    start: date
    end: date
    months_to_start: int  # from the subscription's start date: billing dates are anniversaries
    renewal_option: RenewalOption  # in force during the term


def past_terms(start: date, term: Term, option: RenewalOption, today: date) -> list[PastTerm]:
    """The terms of a new subscription that are over by `today`, in order."""
    terms: list[PastTerm] = []
    current = PastTerm(term, start, add_months(start, term.months), 0, option)
    while current.end <= today:
        terms.append(current)
        following = after_term(current.term, current.renewal_option)
        if following is None:
            break  # the subscription expires at the end of this term
        after = current.months_to_start + current.term.months
        term, option = following
        current = PastTerm(term, current.end, add_months(start, after + term.months), after, option)
    return terms


def catch_up_charges(lines: Sequence[SeatLine], terms: list[PastTerm]) -> list[ChargeLine]:
    """One line per product and run of equal terms (a prepaid run, then monthly after a
    conversion): its seats, price, months and the sum of the terms' charges."""
    charges = []
    for term, run in groupby(terms, key=lambda past: past.term):
        covered = list(run)
        first, last = covered[0].start, covered[-1].end
        months = term.months * len(covered)
        label = "monthly licence" if term == Term.MONTHLY else f"{term.value} prepaid term"
        for line in lines:
            charges.append(
                ChargeLine(
                    kind="catch_up",
                    product_id=line.product_id,
                    description=(
                        f"{line.product_name} – catch-up: {len(covered)} × {label},"
                        f" {months} months {first.isoformat()}–{last.isoformat()}"
                    ),
                    quantity=line.seats,
                    unit_price=line.unit_price,
                    months=months,
                    discount=term.discount,
                    amount=term_price(line.unit_price, line.seats, term).times(len(covered)),
                    period_start=first,
                    period_end=last,
                )
            )
    return charges
