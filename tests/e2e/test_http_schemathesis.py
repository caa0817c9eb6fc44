"""A schemathesis run against the app's own OpenAPI: every operation, a few examples each.

The world of the other e2e tests is seeded first (two companies, their members, devices, a
subscription, catalog products), and every path parameter is drawn from those real ids (or
kept as schemathesis generated it, so unknown ids are tried too). Each operation is called
as the operator and as company A's admin, through the real app with its projector running.

Two runs: no operation answers a server error; and every response conforms to the schema
(its status code is documented, and its content type, body and headers are as declared).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.bootstrap import Container
from tests.e2e._http import TestClient, World, auth, build_world, make_client

EXAMPLES_PER_OPERATION = 8

Check = Callable[..., Any]
CONFORMANCE = [
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
# Query filters that take the id of a path parameter's kind.
QUERY_ALIASES = {"assignee_id": "member_id", "actor_id": "member_id", "aggregate_id": "device_id"}


def seeded_ids(world: World) -> dict[str, list[str]]:
    """Real values for every path parameter the API declares, both tenants' (the other's
    ids must answer 404, never 5xx). Not A's admin's own member: a fuzzed last employment
    day would end the very token the run calls with."""
    employees = [world.a.employee_member, world.a.other_employee_member]
    return {
        "company_id": [world.a.company_id, world.b.company_id],
        "member_id": [*employees, world.b.admin_member],
        "device_id": world.a.device_ids + world.b.device_ids[:1],
        "subscription_id": [world.a.subscription, world.b.subscription],
        "product_id": [world.plan, world.option],
        "category": ["laptop", "phone"],
    }


def with_real_ids(strategy: st.SearchStrategy[Any], ids: dict[str, list[str]]) -> Any:
    """Cases whose path parameters (and id filters) are mostly real ids; the generated
    value stays possible."""

    @st.composite
    def draw_case(draw: st.DrawFn) -> Any:
        case = draw(strategy)
        for container in (case.path_parameters, case.query):
            if not isinstance(container, dict):
                continue
            for name, generated in dict(container).items():
                choices = ids.get(QUERY_ALIASES.get(name, name))
                if choices:
                    container[name] = draw(st.sampled_from([*choices, generated]))
        return case

    return draw_case()


def valid_and_invalid(operation: Any) -> st.SearchStrategy[Any]:
    """Requests that follow the schema and requests that break it (the ones a crash hides in)."""
    return st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )


def send(client: TestClient, case: Any, secret: str) -> httpx.Response:
    """The case's request through the test client (requests-style kwargs become httpx's)."""
    kwargs = case.as_transport_kwargs(base_url=str(client.base_url), headers=auth(secret))
    body: dict[str, Any] = {}
    if "json" in kwargs:
        body["json"] = kwargs["json"]
    elif kwargs.get("data") is not None:
        data = kwargs["data"]
        body["content"] = data.encode() if isinstance(data, str) else data
    if kwargs.get("files"):
        body["files"] = kwargs["files"]
    return client.request(
        kwargs["method"],
        kwargs["url"],
        params=kwargs.get("params"),
        headers=kwargs.get("headers"),
        cookies=kwargs.get("cookies") or None,
        **body,
    )


def run_every_operation(
    client: TestClient, world: World, secret: str, checks: list[Check]
) -> list[str]:
    """Every operation, a few examples each; the failures of all operations, not just the first."""
    schema = schemathesis.openapi.from_dict(client.get("/openapi.json").json())
    ids = seeded_ids(world)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        # Built on the loaded profile: the ci profile's derandomize holds here too.
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            phases=[Phase.explicit, Phase.generate],
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=with_real_ids(valid_and_invalid(operation), ids))
        def call(case: Any) -> None:
            response = send(client, case, secret)
            case.validate_response(response, checks=checks)

        try:
            call()
        except (Exception, FailureGroup) as failure:  # one operation must not hide the others
            failures.append(f"{operation.label}: {failure}"[:1500])
    assert operations >= 50, f"only {operations} operations in the schema"
    return failures


@pytest.fixture
def fuzzed(container: Container) -> Iterator[tuple[TestClient, World]]:
    """The seeded world; then the client without the e2e response hook, so the checks under
    test (not the hook) judge every fuzzed response."""
    with make_client(container) as client:
        world = build_world(client, container)
        client.event_hooks = {"request": [], "response": []}
        yield client, world


@pytest.mark.parametrize("role", ["operator", "admin"])
def test_no_operation_answers_a_server_error(fuzzed: tuple[TestClient, World], role: str) -> None:
    client, world = fuzzed
    secret = world.operator if role == "operator" else world.a.admin
    failures = run_every_operation(client, world, secret, [not_a_server_error])
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("role", ["operator", "admin"])
def test_every_response_conforms_to_the_schema(fuzzed: tuple[TestClient, World], role: str) -> None:
    client, world = fuzzed
    secret = world.operator if role == "operator" else world.a.admin
    failures = run_every_operation(client, world, secret, CONFORMANCE)
    assert not failures, f"{len(failures)} operations break the schema:\n\n" + "\n\n".join(failures)
