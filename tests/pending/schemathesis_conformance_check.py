"""Waits on issue 9 item 7 (see README.md here): every response conforms to the app's own
OpenAPI — status code documented, content type, body and headers. Move it into
tests/e2e/test_http_schemathesis.py once the last bodies are typed."""

from __future__ import annotations

import pytest
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.e2e._http import TestClient, World
from tests.e2e.test_http_schemathesis import fuzzed, run_every_operation

__all__ = ["fuzzed"]  # the fixture, shared with the server-error run

CONFORMANCE = [
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


@pytest.mark.parametrize("role", ["operator", "admin"])
def test_every_response_conforms_to_the_schema(fuzzed: tuple[TestClient, World], role: str) -> None:
    client, world = fuzzed
    secret = world.operator if role == "operator" else world.a.admin
    failures = run_every_operation(client, world, secret, CONFORMANCE)
    assert not failures, f"{len(failures)} operations break the schema:\n\n" + "\n\n".join(failures)
