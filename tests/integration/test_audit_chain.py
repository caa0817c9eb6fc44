"""The audit chain as a read model (ADR 0044): folded incrementally in small batches it
equals a rebuild from position zero; its links are the chain of the stored records; the
console's query shows the last checkpoint and whether its signature verifies."""

from __future__ import annotations

from datetime import timedelta

from adapters.audit_checkpoints import Checkpoint, last_checkpoint
from adapters.projector import Projector
from adapters.signing import b64, unb64
from api.bootstrap import Container
from api.cli.demo import seed
from projections.audit_chain import GENESIS, AuditChain, next_link, record_digest
from tests.conftest import T0, system_cause


def _links(container: Container) -> list[tuple[int, str, str]]:
    with container.db.transaction() as tx:
        rows = tx.fetchall("SELECT position, digest, link FROM audit_chain ORDER BY position")
    return [(int(p), str(d), str(k)) for p, d, k in rows]


def test_folded_in_small_batches_the_chain_equals_its_rebuild(container: Container) -> None:
    seed(container, lambda: system_cause(T0))
    small = Projector(container.app, container.db, [AuditChain()], batch_size=3)
    small.catch_up()  # batches of three: each new batch reads its predecessor's link
    incremental = _links(container)
    head = small.head()
    assert [p for p, _, _ in incremental] == list(range(1, head + 1))  # every record, claims too

    # The links are the chain of the records as stored, in log order.
    link = GENESIS
    with container.db.transaction() as tx:
        records = small.log.after(tx, 0, head)
    for logged, (position, digest, stored) in zip(records, incremental, strict=True):
        link = next_link(link, logged.position, record_digest(logged))
        expected = (logged.position, record_digest(logged).hex(), link.hex())
        assert (position, digest, stored) == expected

    assert container.projector.rebuild(AuditChain.name) == head
    assert _links(container) == incremental
    assert container.projector.verify(AuditChain.name) == []


def test_the_console_reads_the_last_checkpoint_and_whether_it_verifies(
    container: Container,
) -> None:
    keys = container.audit.public_keys
    with container.db.transaction() as tx:
        tx.execute("DELETE FROM audit_checkpoints")
    assert last_checkpoint(container.db, keys) is None
    seed(container, lambda: system_cause(T0))
    container.audit.sign_head(T0)
    signed = container.audit.sign_head(T0 + timedelta(hours=1))
    status = last_checkpoint(container.db, keys)
    assert status is not None
    assert (status.position, status.signed_at, status.head) == (
        container.projector.head(),
        "2026-03-02T10:00:00.000000Z",
        signed.head,
    )
    assert status.key_id == keys[0].key_id
    assert status.signature_valid

    forged = bytearray(unb64(signed.signature))
    forged[-1] ^= 0x80
    with container.db.transaction() as tx:
        tx.execute(
            "UPDATE audit_checkpoints SET signature = ? WHERE signed_at = ?",
            (b64(bytes(forged)), status.signed_at),
        )
    again = last_checkpoint(container.db, keys)
    assert again is not None
    assert not again.signature_valid


def test_a_garbled_checkpoint_row_does_not_verify_and_does_not_break_the_reader(
    container: Container,
) -> None:
    keys = container.audit.public_keys
    for payload, signature in (("not json", "AAAA"), ('{"position": "7"}', "!!"), ("[]", "")):
        garbled = Checkpoint(payload, signature)
        assert garbled.position == -1
        assert not garbled.verifies(keys)
