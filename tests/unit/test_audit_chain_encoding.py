"""The audit chain's encoding (ADR 0044): every stored field changes a record's digest, the
fields are length-prefixed (moving a byte from the topic to the state is another record),
and a link depends on its position and on every link before it."""

from __future__ import annotations

from dataclasses import dataclass, replace

from projections.audit_chain import GENESIS, next_link, record_digest


@dataclass(frozen=True)
class Record:
    position: int = 7
    topic: str = "domain.model.device:Device.Assigned"
    originator_id: str = "ae6437561dee5df08c68e85fce260069"
    originator_version: int = 3
    state: bytes = b'{"member_id":"m-1"}'


def test_every_stored_field_is_in_the_digest_but_not_the_position() -> None:
    record = Record()
    changed = [
        replace(record, topic=record.topic + "x"),
        replace(record, originator_id=record.originator_id.upper()),
        replace(record, originator_version=4),
        replace(record, state=record.state + b" "),
    ]
    digests = {record_digest(r) for r in [record, *changed]}
    assert len(digests) == 5
    assert record_digest(replace(record, position=8)) == record_digest(record)


def test_fields_are_length_prefixed() -> None:
    one = Record(topic="ab", state=b"c")
    other = Record(topic="a", state=b"bc")
    assert record_digest(one) != record_digest(other)


def test_a_link_binds_its_position_and_the_whole_chain_before_it() -> None:
    digest = record_digest(Record())
    first = next_link(GENESIS, 1, digest)
    assert next_link(GENESIS, 2, digest) != first
    assert next_link(first, 2, digest) != next_link(next_link(GENESIS, 1, b"\0" * 32), 2, digest)
    assert len(first) == 32
