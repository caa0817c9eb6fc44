"""Reconciliation of the subscriptions' seats and licences: per product, seats assigned ≤
seats bought; every licence held by a member of the subscription's company; one plan per
member across the company's subscriptions (docs/adr/0045-reconciliation-checks.md).

The subscriptions are the aggregates themselves at the version the log reached (the domain's
own fold), so a licence written around the command that guards it is seen as it stands.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from adapters.reconcile_report import CheckReport, Discrepancy
from domain.application import LessorApplication
from domain.model.member import Member
from domain.model.product import ProductKind
from domain.model.subscription import Subscription


class SeatsAndLicences:
    name = "subscription seats and licences"
    reads = (Subscription.Created, Member.Registered)

    def __init__(self, app: LessorApplication, company_id: UUID | None) -> None:
        self.app = app
        self.company_id = company_id
        self.subscriptions: list[UUID] = []
        self.members: dict[str, str] = {}  # member id → company id
        self.found: list[Discrepancy] = []

    def fold(self, event: Any, position: int, versions: object) -> None:
        del position, versions
        if self.company_id is not None and event.company_id != self.company_id:
            return
        if isinstance(event, Subscription.Created):
            self.subscriptions.append(event.originator_id)
        else:
            self.members[str(event.originator_id)] = str(event.company_id)

    def finish(self, versions: Mapping[UUID, int]) -> None:
        plans: dict[tuple[str, str], list[str]] = defaultdict(list)  # (company, member) → subs
        for subscription_id in self.subscriptions:
            sub: Subscription = self.app.repository.get(
                subscription_id, version=versions[subscription_id]
            )
            company = str(sub.company_id)
            for product, holders in sub.holders.items():
                line = sub.lines.get(product)
                subject = f"subscription {subscription_id}, product {product}"
                seats = line.seats if line is not None else 0
                if len(holders) > seats:
                    self.found.append(
                        Discrepancy(
                            subject,
                            f"{len(holders)} licences are assigned; {seats} seats are bought",
                            {"assigned": len(holders), "seats": seats},
                        )
                    )
                for member in holders:
                    if self.members.get(member) != company:
                        self.found.append(
                            Discrepancy(
                                f"{subject}, member {member}",
                                "the licence is held by no member of the company",
                            )
                        )
                    if line is not None and line.kind == ProductKind.PLAN:
                        plans[(company, member)].append(str(subscription_id))
        for (company, member), held in plans.items():
            if len(held) > 1:
                self.found.append(
                    Discrepancy(
                        f"member {member} of company {company}",
                        f"holds {len(held)} plan licences (subscriptions {', '.join(held)})",
                        {"plans": len(held)},
                    )
                )

    def report(self, versions: Mapping[UUID, int]) -> CheckReport:
        self.finish(versions)
        return CheckReport(self.name, len(self.subscriptions), self.found)
