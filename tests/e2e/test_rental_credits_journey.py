"""Prepaid rental credits over HTTP with the sandbox clock (SPEC §4): an operator sells keys,
the company's admin tops up and rents a phone at 7 credits a day; the scheduler charges each
00:00 in Stockholm, suspends on the day the balance can't pay, and a redemption resumes it."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from adapters.clock import FixedClock
from adapters.licences import InvalidLicence, PublicKey, verify_licence
from api.bootstrap import Container
from api.settings import Settings
from domain.model.activation_key import MAX_FAILURES
from domain.model.actor import Role
from domain.model.time import local_midnight
from tests.conftest import issue_token
from tests.e2e._http import (
    TestClient,
    assert_problem,
    auth,
    created,
    device_body,
    head,
    register_company,
    register_device,
)

TZ = "Europe/Stockholm"
T10 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # 10:00 in Stockholm, Monday 2 March 2026


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url, mode="sandbox", projector_poll_s=0.05, read_wait_timeout_s=30
    )


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T10)


@dataclass
class Shop:
    operator: str
    company_id: str
    admin: str
    other_company: str
    other_admin: str


@pytest.fixture
def shop(api: TestClient, container: Container) -> Shop:
    operator = issue_token(container, Role.OPERATOR)
    acme = register_company(api, operator, "Rent AB", "SEK")
    other = register_company(api, operator, "Other AB", "SEK")
    return Shop(
        operator=operator,
        company_id=acme,
        admin=issue_token(container, Role.ADMIN, UUID(acme)),
        other_company=other,
        other_admin=issue_token(container, Role.ADMIN, UUID(other)),
    )


def post(api: TestClient, secret: str, path: str, body: dict[str, Any]) -> Any:
    return api.post(path, json=body, headers=auth(secret))


def keys(api: TestClient, shop: Shop, credits: int, count: int = 1, **more: Any) -> list[str]:
    body = {"credits": credits, "count": count, **more}
    codes: list[str] = created(post(api, shop.operator, "/v1/activation-keys", body))["codes"]
    return codes


def account(api: TestClient, secret: str, container: Container) -> dict[str, Any]:
    response = api.get("/v1/rental-account", headers=auth(secret))  # from the log itself
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def move_to(api: TestClient, container: Container, shop: Shop, at: datetime) -> None:
    """Set the sandbox clock and run the scheduler's tick at the new business time."""
    moved = post(api, shop.operator, "/v1/sandbox/clock", {"set_to": at.isoformat()})
    assert moved.status_code == 200, moved.text
    container.scheduler.tick(container.clock.now())


def midnight(day: date) -> datetime:
    return local_midnight(day, TZ)


def renting(api: TestClient, shop: Shop, credits: int, rate: int, serial: str = "PH-1") -> str:
    """The company redeems a key of `credits` and rents a new phone at `rate`: its id."""
    [code] = keys(api, shop, credits)
    assert post(api, shop.admin, "/v1/rental-account/redemptions", {"code": code}).is_success
    phone = a_rental_phone(api, shop, serial)
    assert post(api, shop.admin, f"/v1/devices/{phone}/rental", {"rate": rate}).is_success
    return phone


def rebuilt_equals_live(container: Container) -> None:
    """Each read model rental credits write to, rebuilt from position 0 aside, equals the
    one the running projector kept incrementally."""
    for name in ("rental_accounts", "due", "charges", "event_log"):
        assert container.projector.verify(name) == [], name


def a_rental_phone(api: TestClient, shop: Shop, serial: str) -> str:
    return register_device(
        api, shop.admin, device_body(serial, contract_type="rental", category="phone")
    )


def test_top_up_rent_charge_daily_suspend_and_resume(
    api: TestClient, container: Container, shop: Shop
) -> None:
    [code] = keys(api, shop, 100)
    redeemed = post(api, shop.admin, "/v1/rental-account/redemptions", {"code": code})
    assert redeemed.status_code == 201, redeemed.text
    assert redeemed.json()["balance"] == 100
    phone = a_rental_phone(api, shop, "PH-1")

    rented = post(api, shop.admin, f"/v1/devices/{phone}/rental", {"rate": 7})
    assert rented.status_code == 200, rented.text
    assert (rented.json()["balance"], rented.json()["runway"]) == (93, "2026-03-15")

    for n, day in enumerate((date(2026, 3, 3), date(2026, 3, 4)), start=1):
        move_to(api, container, shop, midnight(day))
        move_to(api, container, shop, midnight(day) + timedelta(hours=1))  # a second tick
        body = account(api, shop.admin, container)
        assert body["balance"] == 93 - 7 * n
        assert body["rentals"][0]["paid_through"] == day.isoformat()

    # 79 left: 11 more days (5 … 15 March); 16 March cannot be paid
    move_to(api, container, shop, midnight(date(2026, 3, 16)) + timedelta(hours=3))
    body = account(api, shop.admin, container)
    assert (body["balance"], body["suspended_since"]) == (2, "2026-03-16")
    assert body["rentals"][0] == {
        "device_id": phone,
        "rate": 7,
        "status": "suspended",
        "since": "2026-03-02",
        "paid_through": "2026-03-15",
    }
    move_to(api, container, shop, midnight(date(2026, 3, 18)))
    assert account(api, shop.admin, container)["balance"] == 2  # suspended: never charged

    [more] = keys(api, shop, 50)
    resumed = post(api, shop.admin, "/v1/rental-account/redemptions", {"code": more})
    assert resumed.status_code == 200, resumed.text
    body = resumed.json()
    assert (body["balance"], body["suspended_since"], body["runway"]) == (45, None, "2026-03-24")
    assert body["rentals"][0]["paid_through"] == "2026-03-18"
    rebuilt_equals_live(container)


def test_a_deactivated_rental_is_charged_no_more_and_its_licence_is_not_renewed(
    api: TestClient, container: Container, shop: Shop
) -> None:
    # Given a phone rented at 7 a day, its first day paid
    phone = renting(api, shop, 100, 7, "PH-1")
    assert account(api, shop.admin, container)["balance"] == 93

    # When the admin ends the rental the same day (through the path under /rental)
    ended = post(api, shop.admin, f"/v1/devices/{phone}/rental/deactivation", {})
    assert ended.status_code == 200, ended.text

    # Then no later midnight charges it, the paid day is not refunded, and no licence is given
    move_to(api, container, shop, midnight(date(2026, 3, 5)))
    body = account(api, shop.admin, container)
    assert (body["balance"], body["rentals"]) == (93, [])
    assert_problem(licence_of(api, shop.admin, phone), 409)
    # And ending it again is a clear refusal (the earlier path answers the same)
    assert_problem(post(api, shop.admin, f"/v1/devices/{phone}/rental-deactivation", {}), 409)
    rebuilt_equals_live(container)


def one_byte_changed(part: str) -> str:
    """The base64url text with one decoded byte flipped (editing the text itself may only
    touch padding bits, which decode to the same bytes)."""
    raw = bytearray(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    raw[len(raw) // 2] ^= 0x01
    return base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode("ascii")


def licence_of(api: TestClient, secret: str, device: str) -> Any:
    return api.get(f"/v1/devices/{device}/rental/licence", headers=auth(secret))


def test_the_licence_runs_to_the_last_paid_day_and_verifies_with_the_published_key(
    api: TestClient, container: Container, shop: Shop
) -> None:
    phone = renting(api, shop, 21, 7, "PH-1")
    published = api.get("/v1/rental/licence-keys", headers=auth(shop.admin)).json()["keys"]
    public_keys = [PublicKey(key_id=k["key_id"], public_key=k["public_key"]) for k in published]

    first = licence_of(api, shop.admin, phone).json()
    assert first["valid_until"] == "2026-03-02T23:00:00.000000Z"  # 00:00 on 3 March in Stockholm
    payload = verify_licence(first["licence"], public_keys, now=T10)
    assert (payload["device_id"], payload["serial"]) == (phone, "PH-1")

    move_to(api, container, shop, midnight(date(2026, 3, 3)) + timedelta(hours=6))
    assert licence_of(api, shop.admin, phone).json()["valid_until"] == "2026-03-03T23:00:00.000000Z"

    move_to(api, container, shop, midnight(date(2026, 3, 5)) + timedelta(hours=6))
    suspended = licence_of(api, shop.admin, phone)  # 21 paid 2 and 3 March and 4 March
    assert_problem(suspended, 409)
    with pytest.raises(InvalidLicence, match="ran out"):
        verify_licence(first["licence"], public_keys, now=midnight(date(2026, 3, 5)))

    body, signature = first["licence"].split(".")
    for altered in (
        f"{one_byte_changed(body)}.{signature}",
        f"{body}.{one_byte_changed(signature)}",
    ):
        with pytest.raises(InvalidLicence):
            verify_licence(altered, public_keys)
    assert_problem(licence_of(api, shop.other_admin, phone), 404)


def test_a_swap_mid_day_does_not_charge_the_day_again(
    api: TestClient, container: Container, shop: Shop
) -> None:
    phone = renting(api, shop, 30, 7, "PH-OLD")
    move_to(api, container, shop, T10 + timedelta(hours=4))

    swapped = post(
        api, shop.admin, f"/v1/devices/{phone}/rma-swap", {"serial": "PH-NEW", "model": "IP232"}
    )
    assert swapped.status_code == 201, swapped.text
    body = account(api, shop.admin, container)
    assert body["balance"] == 23
    assert [(r["device_id"], r["paid_through"]) for r in body["rentals"]] == [
        (swapped.json()["id"], "2026-03-02")
    ]
    rebuilt_equals_live(container)


def test_a_used_or_unknown_key_is_one_answer_and_failures_are_throttled(
    api: TestClient, container: Container, shop: Shop
) -> None:
    [code] = keys(api, shop, 10)
    assert post(api, shop.admin, "/v1/rental-account/redemptions", {"code": code}).is_success
    used = post(api, shop.other_admin, "/v1/rental-account/redemptions", {"code": code})
    unknown = post(
        api, shop.other_admin, "/v1/rental-account/redemptions", {"code": "ISC-2222-2222-2222"}
    )
    assert_problem(used, 422)
    assert_problem(unknown, 422)
    assert used.json()["detail"] == unknown.json()["detail"]

    for _ in range(MAX_FAILURES - 2):
        post(api, shop.other_admin, "/v1/rental-account/redemptions", {"code": code})
    before = head(container)
    throttled = post(api, shop.other_admin, "/v1/rental-account/redemptions", {"code": code})
    assert_problem(throttled, 429)
    assert 0 < int(throttled.headers["Retry-After"]) <= 900
    assert head(container) == before


def test_typos_bad_numbers_and_foreign_devices_are_refused_and_write_nothing(
    api: TestClient, container: Container, shop: Shop
) -> None:
    [code] = keys(api, shop, 10)
    typo = code[:-1] + ("2" if code[-1] != "2" else "3")
    phone = a_rental_phone(api, shop, "PH-1")
    before = head(container)
    refusals = [
        (post(api, shop.admin, "/v1/rental-account/redemptions", {"code": typo}), 422),
        (post(api, shop.operator, "/v1/activation-keys", {"credits": 0, "count": 1}), 422),
        (post(api, shop.operator, "/v1/activation-keys", {"credits": 5, "count": -1}), 422),
        (post(api, shop.admin, "/v1/activation-keys", {"credits": 5, "count": 1}), 403),
        (post(api, shop.admin, f"/v1/devices/{phone}/rental", {"rate": 0}), 422),
        (post(api, shop.admin, f"/v1/devices/{phone}/rental", {"rate": 7}), 409),  # balance 0
        (post(api, shop.other_admin, f"/v1/devices/{phone}/rental", {"rate": 7}), 404),
    ]
    for response, status in refusals:
        assert_problem(response, status)
    assert "typo" in refusals[0][0].json()["detail"]
    assert head(container) == before


def test_operators_list_batches_without_codes_and_void_the_unredeemed(
    api: TestClient, container: Container, shop: Shop
) -> None:
    issued = created(
        post(
            api,
            shop.operator,
            "/v1/activation-keys",
            {
                "credits": 20,
                "count": 2,
                "company_id": shop.company_id,
                "price": {"amount": "199.00", "currency": "SEK"},
                "label": "March",
            },
        )
    )
    first, second = issued["codes"]
    post(api, shop.admin, "/v1/rental-account/redemptions", {"code": first})

    listed = api.get(
        "/v1/activation-keys",
        params={"min_position": head(container)},
        headers=auth(shop.operator),
    ).json()["items"]
    assert [(b["id"], b["count"], b["redeemed"], b["price"]["minor"]) for b in listed] == [
        (issued["id"], 2, 1, 19900)
    ]
    assert "codes" not in listed[0]
    voided = post(api, shop.operator, f"/v1/activation-keys/{issued['id']}/void", {})
    assert voided.status_code == 200, voided.text
    assert voided.json()["voided_at"] is not None
    refused = post(api, shop.admin, "/v1/rental-account/redemptions", {"code": second})
    assert_problem(refused, 422)
    assert account(api, shop.admin, container)["balance"] == 20
    forbidden = api.get("/v1/activation-keys", headers=auth(shop.admin))
    assert_problem(forbidden, 403)

    # the sale is a charge for the company's next invoice; an unpriced batch is not
    keys(api, shop, 5, 1)
    charges = api.get(
        "/v1/charges", params={"min_position": head(container)}, headers=auth(shop.admin)
    )
    assert charges.status_code == 200, charges.text
    [line] = charges.json()["items"]
    assert (line["kind"], line["subscription_id"], line["amount"]["minor"]) == (
        "activation_keys",
        issued["id"],
        19900,
    )
    assert line["description"] == "Activation keys: 2 × 20 credits (March)"
    rebuilt_equals_live(container)


def test_the_contract_history_lists_every_operation_with_who_and_when(
    api: TestClient, container: Container, shop: Shop
) -> None:
    renting(api, shop, 10, 6)
    move_to(api, container, shop, midnight(date(2026, 3, 3)))

    history = api.get(
        "/v1/rental-account/history",
        params={"min_position": head(container)},
        headers=auth(shop.admin),
    )
    assert history.status_code == 200, history.text
    items = history.json()["items"]
    assert [i["operation"] for i in items] == [
        "RentalAccount.Opened",
        "RentalAccount.CreditsRedeemed",
        "RentalAccount.RentalActivated",
        "RentalAccount.Suspended",
    ]
    assert items[2]["details"]["rate"] == 6
    assert items[3]["actor"]["role"] == "system"
    assert items[3]["details"] == {"day": "2026-03-03", "needed": 6, "balance": 4}
    foreign = api.get(
        "/v1/rental-account/history",
        params={"company_id": shop.company_id},
        headers=auth(shop.other_admin),
    )
    assert_problem(foreign, 404)


def test_operators_see_every_account_and_filter_the_suspended(
    api: TestClient, container: Container, shop: Shop
) -> None:
    for secret, credits in ((shop.admin, 7), (shop.other_admin, 70)):
        [code] = keys(api, shop, credits)
        post(api, secret, "/v1/rental-account/redemptions", {"code": code})
    phone = a_rental_phone(api, shop, "PH-1")
    post(api, shop.admin, f"/v1/devices/{phone}/rental", {"rate": 7})
    move_to(api, container, shop, midnight(date(2026, 3, 3)))  # Rent AB cannot pay the 3rd

    def accounts(secret: str, **params: Any) -> list[dict[str, Any]]:
        response = api.get(
            "/v1/rental-accounts",
            params={"min_position": head(container), **params},
            headers=auth(secret),
        )
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    every = accounts(shop.operator)
    assert sorted((a["company_id"], a["balance"]) for a in every) == sorted(
        [(shop.company_id, 0), (shop.other_company, 70)]
    )
    [suspended] = accounts(shop.operator, suspended="true")
    assert suspended["suspended_since"] == "2026-03-03"
    assert suspended["runway"] == "2026-03-02"
    assert suspended["rentals"] == [
        {
            "device_id": phone,
            "rate": 7,
            "status": "suspended",
            "since": "2026-03-02",
            "paid_through": "2026-03-02",
        }
    ]
    assert [a["company_id"] for a in accounts(shop.admin)] == [shop.company_id]
    rebuilt_equals_live(container)
    assert_problem(
        api.get(
            "/v1/rental-accounts",
            params={"company_id": shop.other_company},
            headers=auth(shop.admin),
        ),
        404,
    )


def test_issued_keys_declare_the_length_of_the_answer_they_send(
    api: TestClient, shop: Shop
) -> None:
    """The answer with the codes is longer than the batch's: a stale Content-Length made a
    real server (uvicorn) cut it off, though the TestClient read it whole."""
    issued = post(api, shop.operator, "/v1/activation-keys", {"credits": 5, "count": 3})
    assert issued.status_code == 201, issued.text
    assert int(issued.headers["content-length"]) == len(issued.content)
    assert len(issued.json()["codes"]) == 3
