"""The role matrix of SPEC §1, as the HTTP API implements it, one cell at a time.

operator: everything; admin: everything in their company; service: device commands and
reads, but not company settings nor member registration; employee: reads their own
devices (and their own member record) only; another employee's device is 404.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import pytest

from api.bootstrap import Container
from tests.e2e._http import (
    TestClient,
    World,
    api_routes,
    assert_problem,
    auth,
    device_body,
    head,
    position,
    recorded_actor,
    token_id,
)

ROLES = ("operator", "admin", "service", "employee")


@dataclass(frozen=True)
class Cell:
    name: str
    method: str
    route: str  # the route template, for the coverage check
    path: Callable[[World], str]
    body: Callable[[World, str], dict[str, Any] | None]
    expected: dict[str, int]  # role -> status
    writes: bool = True  # a successful non-GET records events (a quote does not)


def _company_body(_: World, role: str) -> dict[str, Any]:
    return {"name": f"New company by {role}", "currency": "NOK"}


def _member_body(w: World, role: str) -> dict[str, Any]:
    return {"company_id": w.a.company_id, "name": f"New {role}", "email": f"new.{role}@a.example"}


def _device_body(w: World, role: str) -> dict[str, Any]:
    return device_body(f"SN-NEW-{role}", company_id=w.a.company_id)


def _subscription_body(w: World, role: str) -> dict[str, Any]:
    return {
        "company_id": w.a.company_id,
        "lines": [{"product_id": w.option, "seats": 2}],
        "start_date": "2026-04-01",
        "term": "1y",
        "po_reference": f"PO-{role}",
    }


def _sub(w: World, tail: str = "") -> str:
    return f"/v1/subscriptions/{w.a.subscription}{tail}"


MANAGERS_ONLY = {"operator": 200, "admin": 200, "service": 200, "employee": 404}
ALL_200 = {"operator": 200, "admin": 200, "service": 200, "employee": 200}
ALL_404 = {"operator": 404, "admin": 404, "service": 404, "employee": 404}
ALL_409 = {"operator": 409, "admin": 409, "service": 409, "employee": 409}
MANAGERS_409 = {"operator": 409, "admin": 409, "service": 409, "employee": 403}
MANAGERS_200 = {"operator": 200, "admin": 200, "service": 200, "employee": 403}
EMPLOYEE_ONLY_409 = {"operator": 403, "admin": 403, "service": 403, "employee": 409}
ADMINS_200 = {"operator": 200, "admin": 200, "service": 403, "employee": 403}
# Company B's subscription or company, asked for by A's callers: 404, as for a missing id.
OTHER_COMPANY = {"operator": 200, "admin": 404, "service": 404, "employee": 404}


# Reads first, then commands; each command targets a resource no earlier cell changed.
MATRIX: list[Cell] = [
    Cell(
        "read own company",
        "GET",
        "/v1/companies/{company_id}",
        lambda w: f"/v1/companies/{w.a.company_id}",
        lambda w, r: None,
        {"operator": 200, "admin": 200, "service": 200, "employee": 403},
    ),
    Cell(
        "read own member record",
        "GET",
        "/v1/members/{member_id}",
        lambda w: f"/v1/members/{w.a.employee_member}",
        lambda w, r: None,
        {"operator": 200, "admin": 200, "service": 200, "employee": 200},
    ),
    Cell(
        "read another member",
        "GET",
        "/v1/members/{member_id}",
        lambda w: f"/v1/members/{w.a.other_employee_member}",
        lambda w, r: None,
        {"operator": 200, "admin": 200, "service": 200, "employee": 404},
    ),
    Cell(
        "list companies",
        "GET",
        "/v1/companies",
        lambda w: "/v1/companies",
        lambda w, r: None,
        {"operator": 200, "admin": 403, "service": 403, "employee": 403},
    ),
    Cell(
        "list own company's members",
        "GET",
        "/v1/members",
        lambda w: "/v1/members",
        lambda w, r: None,
        {"operator": 200, "admin": 200, "service": 403, "employee": 403},
    ),
    Cell(
        "hardware overview",
        "GET",
        "/v1/devices",
        lambda w: "/v1/devices",
        lambda w, r: None,
        {"operator": 200, "admin": 200, "service": 200, "employee": 200},
    ),
    Cell(
        "read own device",
        "GET",
        "/v1/devices/{device_id}",
        lambda w: f"/v1/devices/{w.a.device_of_employee}",
        lambda w, r: None,
        {"operator": 200, "admin": 200, "service": 200, "employee": 200},
    ),
    Cell(
        "read another employee's device",
        "GET",
        "/v1/devices/{device_id}",
        lambda w: f"/v1/devices/{w.a.device_of_other_employee}",
        lambda w, r: None,
        {"operator": 200, "admin": 200, "service": 200, "employee": 404},
    ),
    Cell(
        "read a device in stock",
        "GET",
        "/v1/devices/{device_id}",
        lambda w: f"/v1/devices/{w.a.device_in_stock}",
        lambda w, r: None,
        {"operator": 200, "admin": 200, "service": 200, "employee": 404},
    ),
    Cell(
        "device event log",
        "GET",
        "/v1/devices/{device_id}/events",
        lambda w: f"/v1/devices/{w.a.device_of_employee}/events",
        lambda w, r: None,
        {"operator": 200, "admin": 200, "service": 200, "employee": 403},
    ),
    Cell(
        "event log",
        "GET",
        "/v1/event-log",
        lambda w: "/v1/event-log",
        lambda w, r: None,
        {"operator": 200, "admin": 200, "service": 200, "employee": 403},
    ),
    Cell(
        "read the catalog",
        "GET",
        "/v1/catalog/products",
        lambda w: "/v1/catalog/products",
        lambda w, r: None,
        {"operator": 200, "admin": 200, "service": 200, "employee": 200},
    ),
    Cell(
        "read a product",
        "GET",
        "/v1/catalog/products/{product_id}",
        lambda w: f"/v1/catalog/products/{w.plan}",
        lambda w, r: None,
        {"operator": 200, "admin": 200, "service": 200, "employee": 200},
    ),
    Cell(
        "subscription overview",
        "GET",
        "/v1/subscriptions",
        lambda w: "/v1/subscriptions",
        lambda w, r: None,
        {"operator": 200, "admin": 200, "service": 200, "employee": 403},
    ),
    Cell(
        "read a subscription",
        "GET",
        "/v1/subscriptions/{subscription_id}",
        lambda w: _sub(w),
        lambda w, r: None,
        MANAGERS_ONLY,
    ),
    Cell(
        "subscription history",
        "GET",
        "/v1/subscriptions/{subscription_id}/history",
        lambda w: _sub(w, "/history"),
        lambda w, r: None,
        MANAGERS_ONLY,
    ),
    Cell(
        "charges",
        "GET",
        "/v1/charges",
        lambda w: "/v1/charges",
        lambda w, r: None,
        {"operator": 200, "admin": 200, "service": 403, "employee": 403},
    ),
    Cell(
        "read another company's subscription",
        "GET",
        "/v1/subscriptions/{subscription_id}",
        lambda w: f"/v1/subscriptions/{w.b.subscription}",
        lambda w, r: None,
        OTHER_COMPANY,
    ),
    Cell(
        "another company's subscription history",
        "GET",
        "/v1/subscriptions/{subscription_id}/history",
        lambda w: f"/v1/subscriptions/{w.b.subscription}/history",
        lambda w, r: None,
        OTHER_COMPANY,
    ),
    Cell(
        "another company's subscription overview",
        "GET",
        "/v1/subscriptions",
        lambda w: f"/v1/subscriptions?company_id={w.b.company_id}",
        lambda w, r: None,
        {"operator": 200, "admin": 404, "service": 404, "employee": 403},
    ),
    Cell(
        "another company's charges",
        "GET",
        "/v1/charges",
        lambda w: f"/v1/charges?company_id={w.b.company_id}",
        lambda w, r: None,
        {"operator": 200, "admin": 404, "service": 403, "employee": 403},
    ),
    Cell(
        "quote for another company",
        "POST",
        "/v1/subscriptions/quote",
        lambda w: "/v1/subscriptions/quote",
        lambda w, r: {
            "company_id": w.b.company_id,
            "lines": [{"product_id": w.plan, "seats": 3}],
            "term": "1y",
        },
        OTHER_COMPANY,
        writes=False,
    ),
    Cell(
        "quote",
        "POST",
        "/v1/subscriptions/quote",
        lambda w: "/v1/subscriptions/quote",
        lambda w, r: {
            "company_id": w.a.company_id,
            "lines": [{"product_id": w.plan, "seats": 3}],
            "term": "3y",
        },
        {"operator": 200, "admin": 200, "service": 200, "employee": 403},
        writes=False,
    ),
    Cell(
        "add a product to the catalog",
        "POST",
        "/v1/catalog/products",
        lambda w: "/v1/catalog/products",
        lambda w, r: {
            "code": f"NEW-{r}",
            "name": f"New by {r}",
            "kind": "option",
            "prices": {"SEK": "10.00"},
        },
        {"operator": 201, "admin": 403, "service": 403, "employee": 403},
    ),
    Cell(
        "re-price a product",
        "PATCH",
        "/v1/catalog/products/{product_id}",
        lambda w: f"/v1/catalog/products/{w.option}",
        lambda w, r: {"prices": {"SEK": "59.00", "EUR": "6.00"}},
        {"operator": 200, "admin": 403, "service": 403, "employee": 403},
    ),
    Cell(
        "buy a subscription",
        "POST",
        "/v1/subscriptions",
        lambda w: "/v1/subscriptions",
        _subscription_body,
        {"operator": 201, "admin": 201, "service": 201, "employee": 403},
    ),
    Cell(
        "add seats",
        "POST",
        "/v1/subscriptions/{subscription_id}/seats",
        lambda w: _sub(w, "/seats"),
        lambda w, r: {"product_id": w.option, "seats": 1},
        MANAGERS_ONLY,
    ),
    Cell(
        "remove seats",
        "POST",
        "/v1/subscriptions/{subscription_id}/seat-removals",
        lambda w: _sub(w, "/seat-removals"),
        lambda w, r: {"product_id": w.option, "seats": 1},
        MANAGERS_ONLY,
    ),
    Cell(
        "change the PO reference",
        "POST",
        "/v1/subscriptions/{subscription_id}/po-reference",
        lambda w: _sub(w, "/po-reference"),
        lambda w, r: {"po_reference": f"PO-{r}"},
        MANAGERS_ONLY,
    ),
    Cell(
        "change the renewal option",
        "POST",
        "/v1/subscriptions/{subscription_id}/renewal-option",
        lambda w: _sub(w, "/renewal-option"),
        lambda w, r: {"renewal_option": "once"},
        MANAGERS_ONLY,
    ),
    Cell(
        "assign a licence",
        "POST",
        "/v1/subscriptions/{subscription_id}/licences",
        lambda w: _sub(w, "/licences"),
        lambda w, r: {"member_id": w.a.other_employee_member, "product_id": w.option},
        MANAGERS_ONLY,
    ),
    Cell(
        "unassign a licence",
        "POST",
        "/v1/subscriptions/{subscription_id}/licences/unassign",
        lambda w: _sub(w, "/licences/unassign"),
        lambda w, r: {"member_id": w.a.employee_member, "product_id": w.plan},
        MANAGERS_ONLY,
    ),
    Cell(
        "choose the default licence",
        "POST",
        "/v1/companies/{company_id}/default-licence",
        lambda w: f"/v1/companies/{w.a.company_id}/default-licence",
        lambda w, r: {"subscription_id": w.a.subscription, "product_id": w.plan},
        {"operator": 200, "admin": 200, "service": 403, "employee": 403},
    ),
    Cell(
        "cancel a subscription",
        "POST",
        "/v1/subscriptions/{subscription_id}/cancel",
        lambda w: _sub(w, "/cancel"),
        lambda w, r: {},
        MANAGERS_ONLY,
    ),
    Cell(
        "add seats to another company's subscription",
        "POST",
        "/v1/subscriptions/{subscription_id}/seats",
        lambda w: f"/v1/subscriptions/{w.b.subscription}/seats",
        lambda w, r: {"product_id": w.option, "seats": 1},
        OTHER_COMPANY,
    ),
    Cell(
        "buy a subscription for another company",
        "POST",
        "/v1/subscriptions",
        lambda w: "/v1/subscriptions",
        lambda w, r: {**_subscription_body(w, r), "company_id": w.b.company_id},
        {"operator": 201, "admin": 404, "service": 404, "employee": 404},
    ),
    Cell(
        "choose another company's default licence",
        "POST",
        "/v1/companies/{company_id}/default-licence",
        lambda w: f"/v1/companies/{w.b.company_id}/default-licence",
        lambda w, r: {"subscription_id": w.b.subscription, "product_id": w.plan},
        OTHER_COMPANY,
    ),
    Cell(
        "register a company",
        "POST",
        "/v1/companies",
        lambda w: "/v1/companies",
        _company_body,
        {"operator": 201, "admin": 403, "service": 403, "employee": 403},
    ),
    Cell(
        "change company settings",
        "PATCH",
        "/v1/companies/{company_id}",
        lambda w: f"/v1/companies/{w.a.company_id}",
        lambda w, r: {"settings": {"device_buyout": True}, "vat_rate": "12"},
        {"operator": 200, "admin": 200, "service": 403, "employee": 403},
    ),
    Cell(
        "register a member",
        "POST",
        "/v1/members",
        lambda w: "/v1/members",
        _member_body,
        {"operator": 201, "admin": 201, "service": 403, "employee": 403},
    ),
    Cell(
        "set own last employment day",
        "POST",
        "/v1/members/{member_id}/last-employment-day",
        lambda w: f"/v1/members/{w.a.employee_member}/last-employment-day",
        lambda w, r: {"last_employment_day": "2026-09-30"},
        {"operator": 200, "admin": 200, "service": 403, "employee": 403},
    ),
    Cell(
        "set another member's last employment day",
        "POST",
        "/v1/members/{member_id}/last-employment-day",
        lambda w: f"/v1/members/{w.a.other_employee_member}/last-employment-day",
        lambda w, r: {"last_employment_day": "2026-10-31"},
        {"operator": 200, "admin": 200, "service": 403, "employee": 404},
    ),
    Cell(
        "register a device",
        "POST",
        "/v1/devices",
        lambda w: "/v1/devices",
        _device_body,
        {"operator": 201, "admin": 201, "service": 201, "employee": 403},
    ),
    Cell(
        "assign a device in stock",
        "POST",
        "/v1/devices/{device_id}/assign",
        lambda w: f"/v1/devices/{w.a.device_in_stock}/assign",
        lambda w, r: {"member_id": w.a.employee_member},
        {"operator": 200, "admin": 200, "service": 200, "employee": 404},
    ),
    Cell(
        # Role before rules: the employee is refused (403), the managers hit the rule (409).
        "assign one's own device again",
        "POST",
        "/v1/devices/{device_id}/assign",
        lambda w: f"/v1/devices/{w.a.device_of_employee}/assign",
        lambda w, r: {"member_id": w.a.employee_member},
        {"operator": 409, "admin": 409, "service": 409, "employee": 403},
    ),
    Cell(
        "unassign one's own device",
        "POST",
        "/v1/devices/{device_id}/unassign",
        lambda w: f"/v1/devices/{w.a.device_of_employee}/unassign",
        lambda w, r: {},
        {"operator": 200, "admin": 200, "service": 200, "employee": 403},
    ),
    # --- end of lease, on the employee's (purchased) laptop: role gates first, then rules
    *[
        Cell(
            f"device: {name}",
            method,
            "/v1/devices/{device_id}" + tail,
            lambda w, tail=tail: f"/v1/devices/{w.a.device_of_employee}{tail}",
            body,
            expected,
            writes=writes,
        )
        for name, method, tail, body, expected, writes in [
            ("options", "GET", "/options", lambda w, r: None, ALL_200, False),
            # Not leased: no end-of-lease choice for anyone (409), but everyone may ask.
            (
                "preliminary choice",
                "POST",
                "/preliminary-choice",
                lambda w, r: {"choice": "buyout"},
                ALL_409,
                False,
            ),
            ("choose return", "POST", "/return", lambda w, r: {}, ALL_409, False),
            # Only the employee buys out their device; for them there is no offer here.
            ("start buyout", "POST", "/buyout", lambda w, r: {}, EMPLOYEE_ONLY_409, False),
            ("cancel buyout", "POST", "/buyout/cancel", lambda w, r: {}, ALL_409, False),
            ("mark received", "POST", "/received", lambda w, r: {}, ALL_409, False),
            ("report delivered", "POST", "/delivered", lambda w, r: {}, MANAGERS_409, False),
            (
                "record serial",
                "POST",
                "/serial",
                lambda w, r: {"serial": "LATE-1"},
                MANAGERS_409,
                False,
            ),
            ("release", "POST", "/release", lambda w, r: {}, MANAGERS_409, False),
            (
                "confirm return",
                "POST",
                "/return-confirmation",
                lambda w, r: {},
                MANAGERS_409,
                False,
            ),
            ("remove", "POST", "/removal", lambda w, r: {}, MANAGERS_409, False),
            (
                "rma swap",
                "POST",
                "/rma-swap",
                lambda w, r: {"serial": "RMA-1", "model": "X"},
                MANAGERS_409,
                False,
            ),
            (
                "deactivate rental",
                "POST",
                "/rental/deactivation",
                lambda w, r: {},
                MANAGERS_409,
                False,
            ),
            (
                "deactivate rental (earlier path)",
                "POST",
                "/rental-deactivation",
                lambda w, r: {},
                MANAGERS_409,
                False,
            ),
            (
                "set buyout price",
                "POST",
                "/buyout-price",
                lambda w, r: {"amount": {"amount": "1500.00", "currency": "SEK"}},
                MANAGERS_200,
                True,
            ),
            (
                "set buyout availability",
                "POST",
                "/buyout-availability",
                lambda w, r: {"available": False},
                MANAGERS_200,
                True,
            ),
            (
                "register replacement",
                "POST",
                "/replacements",
                lambda w, r: {
                    "serial": f"REPL-{r}",
                    "model": "X1",
                    "category": "laptop",
                    "company_cost": {"amount": "9000.00", "currency": "SEK"},
                    "contract_type": "purchased",
                },
                {"operator": 201, "admin": 201, "service": 201, "employee": 403},
                True,
            ),
        ]
    ],
    # --- valuation settings of company A: admins and operators; services may only look
    *[
        Cell(
            f"valuation: {name}",
            method,
            "/v1/companies/{company_id}/valuation/{category}" + tail,
            lambda w, tail=tail: f"/v1/companies/{w.a.company_id}/valuation/phone{tail}",
            body,
            expected,
        )
        for name, method, tail, body, expected in [
            (
                "chart",
                "GET",
                "",
                lambda w, r: None,
                {"operator": 200, "admin": 200, "service": 200, "employee": 403},
            ),
            ("automatic on", "POST", "/automatic", lambda w, r: {"enabled": True}, ADMINS_200),
            (
                "custom curve",
                "POST",
                "/curve",
                lambda w, r: {"points": [[0, "100"], [24, "40"]], "floor": "10"},
                ADMINS_200,
            ),
            ("back to standard", "POST", "/curve/clear", lambda w, r: {}, ADMINS_200),
        ]
    ],
    Cell(
        "check a buyout price file",
        "POST",
        "/v1/devices/buyout-prices/import",
        lambda w: f"/v1/devices/buyout-prices/import?company_id={w.a.company_id}",
        lambda w, r: None,
        {"operator": 200, "admin": 200, "service": 200, "employee": 403},
        writes=False,
    ),
    Cell(
        "read a month's usage",
        "GET",
        "/v1/usage/months/{month}",
        lambda w: f"/v1/usage/months/2026-10?company_id={w.a.company_id}",
        lambda w, r: None,
        MANAGERS_200,
    ),
    Cell(
        "another company's usage",
        "GET",
        "/v1/usage/months/{month}",
        lambda w: f"/v1/usage/months/2026-10?company_id={w.b.company_id}",
        lambda w, r: None,
        {"operator": 200, "admin": 404, "service": 404, "employee": 403},
    ),
    Cell(
        "the running usage count",
        "GET",
        "/v1/usage/current",
        lambda w: f"/v1/usage/current?company_id={w.a.company_id}",
        lambda w, r: None,
        MANAGERS_200,
    ),
    Cell(
        "the usage price list",
        "GET",
        "/v1/usage/prices",
        lambda w: "/v1/usage/prices",
        lambda w, r: None,
        ALL_200,
    ),
    Cell(
        "record usage changes",
        "POST",
        "/v1/usage/changes",
        lambda w: "/v1/usage/changes",
        lambda w, r: {
            "company_id": w.a.company_id,
            "change_id": f"role-{r}",
            "kind": "superuser",
            "entity_id": f"user-of-{r}",
            "action": "activated",
            "at": "2026-03-01T09:00:00Z",
        },
        MANAGERS_200,
    ),
    Cell(
        "set a usage price",
        "POST",
        "/v1/usage/prices/{kind}",
        lambda w: "/v1/usage/prices/smart",
        lambda w, r: {"prices": {"SEK": "199.00"}},
        {"operator": 200, "admin": 403, "service": 403, "employee": 403},
    ),
    Cell(
        "quote added seats",
        "POST",
        "/v1/subscriptions/{subscription_id}/seats/quote",
        lambda w: _sub(w, "/seats/quote"),
        lambda w, r: {"product_id": w.plan, "seats": 1},
        MANAGERS_ONLY,
        writes=False,
    ),
    Cell(
        "read the provider's terms (none published)",
        "GET",
        "/v1/terms",
        lambda w: "/v1/terms",
        lambda w, r: None,
        ALL_404,
    ),
    Cell(
        "publish the provider's terms",
        "POST",
        "/v1/terms",
        lambda w: "/v1/terms",
        lambda w, r: {"version": f"2026-12-{r}"},
        {"operator": 201, "admin": 403, "service": 403, "employee": 403},
    ),
    Cell(
        "export members as CSV",
        "GET",
        "/v1/members.csv",
        lambda w: f"/v1/members.csv?company_id={w.a.company_id}",
        lambda w, r: None,
        ADMINS_200,
    ),
    Cell(
        "dry-run a member file",
        "POST",
        "/v1/members/import",
        lambda w: f"/v1/members/import?company_id={w.a.company_id}",
        lambda w, r: None,
        ADMINS_200,
        writes=False,
    ),
    Cell(
        "invoices",
        "GET",
        "/v1/invoices",
        lambda w: "/v1/invoices",
        lambda w, r: None,
        {"operator": 200, "admin": 200, "service": 403, "employee": 403},
    ),
    Cell(
        "an unknown invoice",
        "GET",
        "/v1/invoices/{invoice_id}",
        lambda w: f"/v1/invoices/{UUID(int=0x1)}",
        lambda w, r: None,
        {"operator": 404, "admin": 404, "service": 403, "employee": 403},
    ),
    *(
        Cell(
            f"an unknown invoice as {suffix}",
            "GET",
            "/v1/invoices/{invoice_id}." + suffix,
            lambda w, suffix=suffix: f"/v1/invoices/{UUID(int=0x1)}.{suffix}",
            lambda w, r: None,
            {"operator": 404, "admin": 404, "service": 403, "employee": 403},
        )
        for suffix in ("pdf", "html")
    ),
    Cell(
        "an unknown invoice as Factur-X",
        "GET",
        "/v1/invoices/{invoice_id}/facturx.pdf",
        lambda w: f"/v1/invoices/{UUID(int=0x1)}/facturx.pdf",
        lambda w, r: None,
        {"operator": 404, "admin": 404, "service": 403, "employee": 403},
    ),
    Cell(
        "the company's billing details",
        "POST",
        "/v1/companies/{company_id}/billing-details",
        lambda w: f"/v1/companies/{w.a.company_id}/billing-details",
        lambda w, r: {"vat_id": "SE556000000001", "country": "SE"},
        {"operator": 201, "admin": 201, "service": 403, "employee": 403},
    ),
    Cell(
        "run a company's invoices",
        "POST",
        "/v1/invoice-runs",
        lambda w: "/v1/invoice-runs",
        lambda w, r: {"company_id": w.a.company_id, "month": "2026-03"},
        # The book exists by now: the billing details above opened it.
        {"operator": 200, "admin": 403, "service": 403, "employee": 403},
    ),
    *(
        Cell(
            f"{tail} an unknown invoice",
            "POST",
            "/v1/invoices/{invoice_id}/" + tail,
            lambda w, tail=tail: f"/v1/invoices/{UUID(int=0x1)}/{tail}",
            lambda w, r, body=body: body,
            {"operator": 404, "admin": 403, "service": 403, "employee": 403},
        )
        for tail, body in (
            ("issue", {}),
            ("credit-note", {}),
            (
                "adjustments",
                {
                    "line_no": 1,
                    "amount": {"amount": "1.00", "currency": "SEK"},
                    "description": "x",
                },
            ),
        )
    ),
    # --- prepaid rental credits (SPEC §4): keys are the operator's; accounts the managers'
    Cell(
        "key batches",
        "GET",
        "/v1/activation-keys",
        lambda w: "/v1/activation-keys",
        lambda w, r: None,
        {"operator": 200, "admin": 403, "service": 403, "employee": 403},
    ),
    Cell(
        "issue activation keys",
        "POST",
        "/v1/activation-keys",
        lambda w: "/v1/activation-keys",
        lambda w, r: {"credits": 30, "count": 2, "company_id": w.a.company_id},
        {"operator": 201, "admin": 403, "service": 403, "employee": 403},
    ),
    Cell(
        "void an unknown key batch",
        "POST",
        "/v1/activation-keys/{batch_id}/void",
        lambda w: f"/v1/activation-keys/{UUID(int=0x1)}/void",
        lambda w, r: {},
        {"operator": 404, "admin": 403, "service": 403, "employee": 403},
    ),
    Cell(
        "rental accounts",
        "GET",
        "/v1/rental-accounts",
        lambda w: "/v1/rental-accounts",
        lambda w, r: None,
        MANAGERS_200,
    ),
    Cell(
        "the company's rental account",
        "GET",
        "/v1/rental-account",
        lambda w: f"/v1/rental-account?company_id={w.a.company_id}",
        lambda w, r: None,
        MANAGERS_200,
    ),
    Cell(
        "another company's rental account",
        "GET",
        "/v1/rental-account",
        lambda w: f"/v1/rental-account?company_id={w.b.company_id}",
        lambda w, r: None,
        {"operator": 200, "admin": 404, "service": 404, "employee": 404},
    ),
    Cell(
        "the rental account's history",
        "GET",
        "/v1/rental-account/history",
        lambda w: f"/v1/rental-account/history?company_id={w.a.company_id}",
        lambda w, r: None,
        MANAGERS_200,
    ),
    Cell(
        "another company's rental account history",
        "GET",
        "/v1/rental-account/history",
        lambda w: f"/v1/rental-account/history?company_id={w.b.company_id}",
        lambda w, r: None,
        {"operator": 200, "admin": 404, "service": 404, "employee": 403},
    ),
    Cell(
        # One answer for an unknown key (nothing learnt, nothing written); employees may not.
        "redeem an unknown key",
        "POST",
        "/v1/rental-account/redemptions",
        lambda w: "/v1/rental-account/redemptions",
        lambda w, r: {"code": "ISC-AAAA-AAAA-AAAA", "company_id": w.a.company_id},
        {"operator": 422, "admin": 422, "service": 422, "employee": 403},
    ),
    # The employee's laptop is purchased, not a rental: the managers hit the rule (409).
    Cell(
        "rent a purchased device",
        "POST",
        "/v1/devices/{device_id}/rental",
        lambda w: f"/v1/devices/{w.a.device_of_employee}/rental",
        lambda w, r: {"rate": 3},
        MANAGERS_409,
    ),
    Cell(
        "swap a device that is not rented",
        "POST",
        "/v1/devices/{device_id}/rental/swap",
        lambda w: f"/v1/devices/{w.a.device_of_employee}/rental/swap",
        lambda w, r: {"replacement_id": w.a.device_in_stock},
        MANAGERS_409,
    ),
    Cell(
        "the licence of a device that is not rented",
        "GET",
        "/v1/devices/{device_id}/rental/licence",
        lambda w: f"/v1/devices/{w.a.device_of_employee}/rental/licence",
        lambda w, r: None,
        MANAGERS_409,
    ),
    Cell(
        "the licence public keys",
        "GET",
        "/v1/rental/licence-keys",
        lambda w: "/v1/rental/licence-keys",
        lambda w, r: None,
        ALL_200,
    ),
    # This container runs in production mode: the sandbox clock does not exist for anyone
    # (tests/e2e/test_sandbox_clock.py has the sandbox's own roles).
    Cell(
        "read the sandbox clock",
        "GET",
        "/v1/sandbox/clock",
        lambda w: "/v1/sandbox/clock",
        lambda w, r: None,
        ALL_404,
    ),
    Cell(
        "move the sandbox clock",
        "POST",
        "/v1/sandbox/clock",
        lambda w: "/v1/sandbox/clock",
        lambda w, r: {"advance_by": "30d"},
        ALL_404,
    ),
    Cell(
        "run the reconciliation report",
        "POST",
        "/v1/reconciliations",
        lambda w: "/v1/reconciliations",
        lambda w, r: None,
        {"operator": 202, "admin": 403, "service": 403, "employee": 403},
        writes=False,
    ),
    Cell(
        "a reconciliation run that does not exist",
        "GET",
        "/v1/reconciliations/{reconciliation_id}",
        lambda w: "/v1/reconciliations/00000000-0000-4000-8000-000000000000",
        lambda w, r: None,
        {"operator": 404, "admin": 403, "service": 403, "employee": 403},
    ),
]


def test_the_matrix_covers_every_v1_route(api: TestClient) -> None:
    routes = {(m, p) for m, p in api_routes(api.app) if p.startswith("/v1/")}
    covered = {(cell.method, cell.route) for cell in MATRIX}
    assert routes - covered == set(), "routes without a row in the role matrix"
    assert covered - routes == set(), "matrix rows for routes the app does not have"
    assert all(set(cell.expected) == set(ROLES) for cell in MATRIX)


def _secret(world: World, role: str) -> str:
    return world.operator if role == "operator" else world.a.token(role)


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(api: TestClient, world: World, container: Container, role: str) -> None:
    secret = _secret(world, role)
    for cell in MATRIX:
        expected = cell.expected[role]
        body = cell.body(world, role)
        before = head(container)
        if body is None:
            response = api.request(cell.method, cell.path(world), headers=auth(secret))
        else:
            response = api.request(cell.method, cell.path(world), json=body, headers=auth(secret))
        where = f"{role}: {cell.name} ({cell.method} {cell.path(world)})"
        assert response.status_code == expected, f"{where}: {response.text}"
        if expected >= 400 or not cell.writes:
            assert head(container) == before, f"{where}: wrote events"
        if expected >= 400:
            kind = {
                403: "forbidden",
                404: "not-found",
                409: "rule-violation",
                422: "invalid-value",
            }[expected]
            assert_problem(response, expected, kind)
        elif cell.method != "GET" and cell.writes:
            _assert_recorded_as(api, world, response, before, secret, role, where)


def _assert_recorded_as(
    api: TestClient,
    world: World,
    response: Any,
    before: int,
    secret: str,
    role: str,
    where: str,
) -> None:
    """The command's events name the caller's token and role (SPEC §1: who)."""
    subject = response.json()["id"]
    log = api.get(
        "/v1/event-log",
        params={"aggregate_id": subject, "min_position": position(response), "cursor": before},
        headers=auth(world.operator),
    )
    assert log.status_code == 200, log.text
    new = [i for i in log.json()["items"] if i["position"] <= position(response)]
    assert new, f"{where}: the command's event is not in the log"
    for item in new:
        assert recorded_actor(item) == {"id": token_id(secret), "role": role}, where


def test_an_employee_sees_exactly_their_own_devices(api: TestClient, world: World) -> None:
    a = world.a
    overview = api.get("/v1/devices", headers=auth(a.employee)).json()["items"]
    assert [d["device_id"] for d in overview] == [a.device_of_employee]
    assert overview[0]["assignee"]["member_id"] == a.employee_member
    other = api.get("/v1/devices", headers=auth(a.other_employee)).json()["items"]
    assert [d["device_id"] for d in other] == [a.device_of_other_employee]
    # Each can read their own device, and not each other's.
    assert (
        api.get(f"/v1/devices/{a.device_of_employee}", headers=auth(a.employee)).status_code == 200
    )
    assert_problem(
        api.get(f"/v1/devices/{a.device_of_employee}", headers=auth(a.other_employee)),
        404,
        "not-found",
    )


def test_an_employee_loses_sight_of_a_device_taken_back(api: TestClient, world: World) -> None:
    a = world.a
    path = f"/v1/devices/{a.device_of_employee}"
    assert api.get(path, headers=auth(a.employee)).status_code == 200
    taken = api.post(f"{path}/unassign", json={}, headers=auth(a.admin))
    assert taken.status_code == 200, taken.text
    assert_problem(api.get(path, headers=auth(a.employee)), 404, "not-found")
    listed = api.get(
        "/v1/devices", params={"min_position": position(taken)}, headers=auth(a.employee)
    )
    assert listed.json()["items"] == []
