"""The console's Log integrity page (ADR 0044): an operator sees the last checkpoint of the
audit chain — position, time, head hash — and whether its signature verifies; a forged
signature is shown as such; admins are refused (the chain covers every company)."""

from __future__ import annotations

from adapters.signing import b64, unb64
from api.bootstrap import Container
from tests.conftest import T0
from tests.e2e._console import signed_in
from tests.e2e._http import TestClient, World


def test_an_operator_sees_the_last_checkpoint_and_whether_it_verifies(
    api: TestClient, world: World, container: Container
) -> None:
    console = signed_in(api, world.operator)
    with container.db.transaction() as tx:
        tx.execute("DELETE FROM audit_checkpoints")
    empty = console.get("/console/integrity")
    assert empty.status_code == 200, empty.text
    assert "No checkpoint signed yet" in empty.text

    signed = container.audit.sign_head(T0)
    page = console.get("/console/integrity")
    assert page.text.count("<h1>") == 1
    assert f"<dd>{signed.position}</dd>" in page.text
    assert signed.head in page.text
    assert 'datetime="2026-03-02T09:00:00Z"' in page.text
    assert "Valid (Ed25519" in page.text
    assert 'href="/console/integrity"' in page.text  # in the operator's navigation

    forged = bytearray(unb64(signed.signature))
    forged[3] ^= 0x10
    with container.db.transaction() as tx:
        tx.execute("UPDATE audit_checkpoints SET signature = ?", (b64(bytes(forged)),))
    assert "Does not verify" in console.get("/console/integrity").text


def test_an_admin_is_refused_the_integrity_page(api: TestClient, world: World) -> None:
    console = signed_in(api, world.a.admin)
    refused = console.get("/console/integrity")
    assert refused.status_code == 403
    assert "Only operators" in refused.text
    assert 'href="/console/integrity"' not in console.get("/console/audit-log").text
