"""`lessor keys` and `lessor rentals` as an operator uses them: real processes, a real store."""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import pytest

from adapters.licences import LicenceSigner
from api.bootstrap import build
from api.settings import Settings
from domain.application import CommandContext
from domain.application.credits import LicenceFacts
from domain.model.activation_key import parse_code
from domain.model.actor import Actor, Caller, Role
from domain.model.events import Cause
from tests.conftest import T0
from tests.e2e._cli import Run, cli_runner
from tests.rental_devices import register_device

OPERATOR = Caller(actor=Actor("test", Role.OPERATOR), company_id=None)


def ctx() -> CommandContext:
    return CommandContext(OPERATOR, Cause(actor=OPERATOR.actor, at=T0, correlation_id="t"))


@pytest.fixture
def lessor(database_url: str, tmp_path: Path) -> Callable[..., Run]:
    run = cli_runner(database_url, tmp_path)
    assert run("db", "init").code == 0
    return run


def a_company_renting_a_phone(database_url: str) -> tuple[UUID, UUID]:
    container = build(Settings(database_url=database_url))
    try:
        app = container.app
        company = app.companies.register(ctx(), name="Rent AB", currency="SEK").subject_id
        phone = register_device(app, ctx(), company, "PH-1")
        return company, phone
    finally:
        container.close()


def redeem_and_rent(database_url: str, company: UUID, phone: UUID, code: str) -> None:
    container = build(Settings(database_url=database_url))
    try:
        admin = Caller(actor=Actor("admin", Role.ADMIN), company_id=company)
        at = container.clock.now()
        admin_ctx = CommandContext(admin, Cause(actor=admin.actor, at=at, correlation_id="t"))
        container.app.credits.redeem(admin_ctx, company_id=company, code=code)
        container.app.credits.activate(admin_ctx, phone, rate=7)
    finally:
        container.close()


def test_issue_keys_with_a_price_to_csv_list_void_and_show_the_account(
    lessor: Callable[..., Run], database_url: str, tmp_path: Path
) -> None:
    company, phone = a_company_renting_a_phone(database_url)
    issued = lessor(
        "keys", "issue", "--credits", "50", "--count", "3", "--company", str(company),
        "--price", "199.00", "SEK", "--label", "March", "--csv", "keys.csv",
    )  # fmt: skip
    assert issued.code == 0, issued.err
    codes = [line for line in issued.out.splitlines() if line.startswith("ISC-")]
    assert len(codes) == 3
    assert all(parse_code(c) == c for c in codes)
    with (tmp_path / "keys.csv").open(encoding="utf-8") as f:
        assert [row["code"] for row in csv.DictReader(f)] == codes

    listed = lessor("keys", "list")
    assert listed.code == 0, listed.err
    assert "199.00 SEK" in listed.out
    assert "March" in listed.out
    assert not any(code in listed.out for code in codes)

    redeem_and_rent(database_url, company, phone, codes[0])
    batch_id = issued.out.splitlines()[0].split()[-1]
    assert lessor("keys", "void", batch_id).code == 0
    container = build(Settings(database_url=database_url))
    try:
        [batch] = container.app.credits.batches(OPERATOR)
        assert str(batch.id) == batch_id
        assert batch.voided_at is not None
    finally:
        container.close()

    status = lessor("rentals", "status", "--company", str(company))
    assert status.code == 0, status.err
    assert "balance: 43 credits" in status.out
    assert str(phone) in status.out


@pytest.mark.parametrize(
    "args",
    [
        ("keys", "issue", "--credits", "0"),
        ("keys", "issue", "--credits", "5", "--count", "5000"),
        ("keys", "issue", "--credits", "5", "--price", "ten", "SEK"),
        ("keys", "void", "00000000-0000-4000-8000-000000000000"),
    ],
)
def test_bad_input_is_one_line_and_exit_2_with_nothing_written(
    lessor: Callable[..., Run], database_url: str, args: tuple[str, ...]
) -> None:
    container = build(Settings(database_url=database_url))
    try:
        before = container.app.head()
    finally:
        container.close()
    done = lessor(*args)
    assert done.code == 2, (done.out, done.err)
    assert len(done.err.strip().splitlines()) == 1
    container = build(Settings(database_url=database_url))
    try:
        assert container.app.head() == before
    finally:
        container.close()


def test_verify_licence_accepts_a_signed_one_and_refuses_one_changed_byte(
    lessor: Callable[..., Run], tmp_path: Path
) -> None:
    signer = LicenceSigner(bytes.fromhex(Settings().licence_signing_key.get_secret_value()))
    future = datetime(2099, 1, 1, tzinfo=UTC)
    facts = LicenceFacts(UUID(int=1), "PH-1", UUID(int=2), valid_until=future, issued_at=T0)
    signed, _ = signer.sign(facts)
    (tmp_path / "good.lic").write_text(signed, encoding="utf-8")
    body, signature = signed.split(".")
    (tmp_path / "bad.lic").write_text(f"{body}.{signature[:-2]}AA", encoding="utf-8")

    good = lessor("rentals", "verify-licence", "good.lic")
    bad = lessor("rentals", "verify-licence", "bad.lic")

    assert good.code == 0, good.err
    assert "signature ok" in good.out
    assert "valid until 2099-01-01" in good.out
    assert bad.code == 1
    assert "does not verify" in bad.err
