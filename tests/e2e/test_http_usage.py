"""Monthly usage over HTTP with the sandbox clock (SPEC §5, issue 11).

An integration adds and removes users and modules across October and November 2026
(Stockholm time); both months are read, priced from the operator's usage price list; the
running count moves as changes arrive; retries (also concurrent) change nothing; every
refusal is problem+json naming its change, and writes nothing.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import httpx
import pytest

from api.bootstrap import Container
from api.settings import Settings
from domain.model.actor import Role
from tests.conftest import issue_token
from tests.e2e._http import TestClient, assert_problem, auth, head, position
from tests.e2e._subscriptions import Shop, ok, open_shop

CHANGES = "/v1/usage/changes"
CLOCK = "/v1/sandbox/clock"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url, mode="sandbox", projector_poll_s=0.05, read_wait_timeout_s=30
    )


def local(text: str) -> str:
    """A Stockholm wall time as an RFC 3339 instant with its offset."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo("Europe/Stockholm")).isoformat()


def c(cid: str, kind: str, entity: str, action: str, at: str) -> dict[str, str]:
    return {"change_id": cid, "kind": kind, "entity_id": entity, "action": action, "at": at}


def send(api: TestClient, secret: str, body: dict[str, Any], **headers: str) -> httpx.Response:
    return api.post(CHANGES, json=body, headers={**auth(secret), **headers})


def move_clock(api: TestClient, shop: Shop, wall: str) -> None:
    ok(api.post(CLOCK, json={"set_to": local(wall)}, headers=auth(shop.operator)))


def read(api: TestClient, secret: str, path: str, after: int, **params: str) -> dict[str, Any]:
    return ok(api.get(path, params={"min_position": after, **params}, headers=auth(secret)))


def counts(usage: dict[str, Any]) -> dict[str, int]:
    return {k["kind"]: k["count"] for k in usage["kinds"] if k["count"]}


def entities(usage: dict[str, Any], kind: str) -> dict[str, list[dict[str, Any]]]:
    (found,) = [k for k in usage["kinds"] if k["kind"] == kind]
    return {e["entity_id"]: e["intervals"] for e in found["entities"]}


def test_users_and_modules_across_october_and_november(
    api: TestClient, container: Container
) -> None:
    shop = open_shop(api, container, name="Reporting AB", employees=0)
    for kind, price in (("superuser", "149.00"), ("smart", "990.00")):
        ok(
            api.post(
                f"/v1/usage/prices/{kind}",
                json={"prices": {"SEK": price}},
                headers=auth(shop.operator),
            )
        )

    # --- 5 October: the integration sends the month so far, in no particular order.
    move_clock(api, shop, "2026-10-05T10:00")
    first = send(
        api,
        shop.service,
        {
            "changes": [
                c("c-3", "superuser", "bob", "activated", local("2026-10-04T08:00")),
                c("c-1", "smart", "module", "activated", local("2026-10-01T00:00")),
                c("c-2", "superuser", "ann", "activated", local("2026-10-03T09:00")),
            ]
        },
    )
    body = ok(first)
    assert [x["change_id"] for x in body["changes"]] == ["c-3", "c-1", "c-2"]
    assert {x["status"] for x in body["changes"]} == {"recorded"}
    running = read(api, shop.admin, "/v1/usage/current", position(first))
    assert running["month"] == "2026-10"
    assert counts(running) == {"superuser": 2, "smart": 1}

    # --- 10 November: bob left on 20 October (sent late); ann's last moment was the end of
    # October; cat came and went in November.
    move_clock(api, shop, "2026-11-10T10:00")
    late = send(
        api,
        shop.service,
        c("c-4", "superuser", "bob", "deactivated", local("2026-10-20T17:00")),
    )
    ok(late)
    running = read(api, shop.admin, "/v1/usage/current", position(late))
    assert running["month"] == "2026-11"
    assert counts(running) == {"superuser": 1, "smart": 1}  # ann is still active
    more = send(
        api,
        shop.admin,
        {
            "changes": [
                c("c-5", "superuser", "ann", "deactivated", local("2026-11-01T00:00")),
                c("c-6", "superuser", "cat", "activated", local("2026-11-02T09:00")),
                c("c-7", "superuser", "cat", "deactivated", local("2026-11-05T17:00")),
            ]
        },
    )
    ok(more)
    running = read(api, shop.admin, "/v1/usage/current", position(more))
    assert counts(running) == {"superuser": 1, "smart": 1}  # ann out, cat in (and out)

    october = read(api, shop.admin, "/v1/usage/months/2026-10", position(more))
    assert october["starts_at"] == "2026-09-30T22:00:00.000000Z"  # local midnight, CEST
    assert october["ends_at"] == "2026-10-31T23:00:00.000000Z"  # local midnight, CET
    assert counts(october) == {"superuser": 2, "smart": 1}
    assert entities(october, "superuser") == {
        "ann": [{"start": "2026-10-03T07:00:00.000000Z", "end": "2026-10-31T23:00:00.000000Z"}],
        "bob": [{"start": "2026-10-04T06:00:00.000000Z", "end": "2026-10-20T15:00:00.000000Z"}],
    }
    assert [(x["description"], x["quantity"], x["amount"]["amount"]) for x in october["lines"]] == [
        ("Reporting – Superuser", 2, "298.00"),
        ("Reporting – Smart", 1, "990.00"),
    ]
    november = read(
        api, shop.operator, "/v1/usage/months/2026-11", position(more), company_id=shop.company_id
    )
    assert counts(november) == {"superuser": 1, "smart": 1}
    assert set(entities(november, "superuser")) == {"cat"}  # ann ended at 00:00 local


def test_the_same_batch_sent_twice_and_concurrently_changes_nothing_the_second_time(
    api: TestClient, container: Container
) -> None:
    shop = open_shop(api, container, name="Retry AB", employees=0)
    batch = {
        "changes": [
            c(f"r-{i}", "portal_user", f"user-{i}", "activated", local("2026-10-03T09:00"))
            for i in range(50)
        ]
    }
    first = send(api, shop.service, batch)
    after_first = head(container)
    again = send(api, shop.service, batch)
    assert again.json() == first.json()
    assert head(container) == after_first

    other = {
        "changes": [
            c(f"x-{i}", "archive_user", f"user-{i}", "activated", local("2026-10-04T09:00"))
            for i in range(50)
        ]
    }
    answers: list[httpx.Response] = []

    def post_it() -> None:
        answers.append(send(api, shop.service, other))

    threads = [threading.Thread(target=post_it) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert head(container) == after_first + 1  # one event: the batch, once
    usage = read(api, shop.admin, "/v1/usage/months/2026-10", head(container))
    assert counts(usage) == {"portal_user": 50, "archive_user": 50}


def test_a_contradiction_is_refused_naming_each_change_and_nothing_is_written(
    api: TestClient, container: Container
) -> None:
    shop = open_shop(api, container, name="Refusal AB", employees=0)
    ok(send(api, shop.admin, c("a-1", "superuser", "ann", "activated", local("2026-10-03T09:00"))))
    before = head(container)
    refused = send(
        api,
        shop.admin,
        {
            "changes": [
                c("ok-1", "superuser", "bob", "activated", local("2026-10-03T09:00")),
                c("bad-1", "superuser", "ann", "activated", local("2026-10-05T09:00")),
                c("bad-2", "superuser", "cat", "deactivated", local("2026-10-05T09:00")),
            ]
        },
    )
    body = assert_problem(refused, 409, "rule-violation")
    assert [(e["index"], e["change_id"]) for e in body["errors"]] == [(1, "bad-1"), (2, "bad-2")]
    assert "overlap" in body["errors"][0]["message"]
    assert "before any activation" in body["errors"][1]["message"]
    assert head(container) == before

    reused = send(
        api, shop.admin, c("a-1", "superuser", "ann", "activated", local("2026-10-04T09:00"))
    )
    body = assert_problem(reused, 422, "invalid-value")
    assert body["errors"][0]["change_id"] == "a-1"
    twice = send(
        api,
        shop.admin,
        {
            "changes": [
                c("d-1", "smart", "m", "activated", local("2026-10-03T09:00")),
                c("d-1", "smart", "n", "activated", local("2026-10-03T09:00")),
            ]
        },
    )
    assert assert_problem(twice, 422)["errors"][0]["index"] == 1
    assert head(container) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (c("k", "admin_user", "ann", "activated", "2026-10-03T09:00:00Z"), "kind"),
        (c("k", "superuser", "ann", "paused", "2026-10-03T09:00:00Z"), "action"),
        (c("k", "superuser", "ann", "activated", "2026-10-03T09:00:00"), "at"),  # naive
        (c("k", "superuser", "ann", "activated", "1999-10-03T09:00:00Z"), None),  # out of bounds
        (c("", "superuser", "ann", "activated", "2026-10-03T09:00:00Z"), "change_id"),
        (
            {
                "changes": [
                    c(f"k{i}", "smart", f"m{i}", "activated", "2026-10-03T09:00:00Z")
                    for i in range(1001)
                ]
            },
            "changes",
        ),
        ({"changes": []}, "changes"),
        ({**c("k", "smart", "m", "activated", "2026-10-03T09:00:00Z"), "extra": 1}, "extra"),
    ],
)
def test_bad_input_is_problem_json_and_writes_nothing(
    api: TestClient, container: Container, body: dict[str, Any], field: str | None
) -> None:
    shop = open_shop(api, container, name="Bad Input AB", employees=0)
    before = head(container)
    problem = assert_problem(send(api, shop.service, body), 422)
    if field is not None:
        assert field in problem["detail"]
    shape = "batch" if "changes" in body else "change"
    other = "change" if shape == "batch" else "batch"
    assert all(e["field"].startswith(f"body.{shape}") for e in problem.get("errors") or []), problem
    assert f"body.{other}" not in problem["detail"]
    assert head(container) == before


def test_who_may_record_and_read_usage(api: TestClient, container: Container) -> None:
    shop = open_shop(api, container, name="Roles AB", employees=0)
    other = open_shop(api, container, name="Other AB", employees=0, operator=shop.operator)
    employee = issue_token(container, Role.EMPLOYEE, UUID(shop.company_id), UUID(shop.admin_member))
    change = c("e-1", "smart", "m", "activated", "2026-10-03T09:00:00Z")
    assert_problem(send(api, employee, change), 403)
    assert_problem(send(api, shop.admin, {**change, "company_id": other.company_id}), 404)
    assert_problem(send(api, shop.operator, change), 422)  # operators name the company
    ok(send(api, shop.operator, {**change, "company_id": shop.company_id}))
    months = "/v1/usage/months/2026-10"
    assert_problem(api.get(months, headers=auth(employee)), 403)
    assert_problem(
        api.get(months, params={"company_id": other.company_id}, headers=auth(shop.admin)), 404
    )
    assert_problem(api.get("/v1/usage/months/2026-13", headers=auth(shop.admin)), 422)
    assert_problem(api.get("/v1/usage/months/26-10", headers=auth(shop.admin)), 422)
    price = {"prices": {"SEK": "1.00"}}
    assert_problem(api.post("/v1/usage/prices/smart", json=price, headers=auth(shop.admin)), 403)
    assert_problem(api.post("/v1/usage/prices/nope", json=price, headers=auth(shop.operator)), 422)
    listed = ok(api.get("/v1/usage/prices", headers=auth(employee)))
    assert [k["kind"] for k in listed["kinds"]][:2] == ["superuser", "portal_user"]
    assert listed["version"] == 0
