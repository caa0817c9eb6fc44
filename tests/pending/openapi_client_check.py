"""A client generated from /openapi.json by openapi-python-client, tried as a new user would.

The generator runs offline on the app's own document (no post hooks, so no formatter is
needed); it must build without a single warning (a warning means a skipped endpoint or an
untyped body). The generated package is then imported and used against the real app,
through the TestClient's transport: for each resource a success and an error response
must parse into typed models (every field of the body declared, nothing left in
`additional_properties`), and a documented error must not raise "unexpected status".
"""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from uuid import UUID

import pytest

from api.bootstrap import Container
from tests.e2e._http import TestClient, World

PACKAGE = "lessor_client"
UNKNOWN_ID = UUID("00000000-0000-4000-8000-000000000000")
GENERATOR = Path(sys.executable).with_name("openapi-python-client")


def generate(document: str, workdir: Path) -> subprocess.CompletedProcess[str]:
    (workdir / "openapi.json").write_text(document, encoding="utf-8")
    (workdir / "config.yaml").write_text("post_hooks: []\n", encoding="utf-8")
    return subprocess.run(  # the generator's own CLI, as its docs tell a user to run it
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(workdir / "openapi.json"),
            "--meta",
            "none",
            "--config",
            str(workdir / "config.yaml"),
            "--output-path",
            str(workdir / PACKAGE),
            "--fail-on-warning",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture
def client_package(
    api: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ModuleType]:
    """The generated package, built from the running app's document and imported."""
    result = generate(api.get("/openapi.json").text, tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "warning" not in output.lower(), output
    monkeypatch.syspath_prepend(str(tmp_path))
    yield importlib.import_module(PACKAGE)
    for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
        del sys.modules[name]


def operation(package: ModuleType, operation_id: str) -> Callable[..., Any]:
    """The generated `sync_detailed` of an operation, wherever its tag put the module."""
    api_package = importlib.import_module(f"{package.__name__}.api")
    for info in pkgutil.walk_packages(api_package.__path__, f"{api_package.__name__}."):
        if info.name.rsplit(".", 1)[-1] == operation_id:
            function: Callable[..., Any] = importlib.import_module(info.name).sync_detailed
            return function
    raise AssertionError(f"the generated client has no operation {operation_id!r}")


def assert_declares_everything(model: Any) -> None:
    """A closed schema (additionalProperties: false) generates no `additional_properties`;
    an open one must still have put every field of the body into a declared attribute."""
    undeclared = getattr(model, "additional_properties", {})
    assert undeclared == {}, f"{type(model).__name__} leaves undeclared fields: {undeclared}"


def typed(package: ModuleType, response: Any, status: int) -> Any:
    """The parsed body: a generated model whose fields declare the whole body."""
    assert response.status_code == status, (response.status_code, response.content[:300])
    parsed = response.parsed
    assert parsed is not None, response.content[:300]
    assert type(parsed).__module__.startswith(f"{package.__name__}.models."), type(parsed)
    assert_declares_everything(parsed)
    return parsed


def problem(package: ModuleType, response: Any, status: int) -> Any:
    parsed = typed(package, response, status)
    assert parsed.status == status
    assert parsed.type_.startswith("https://lessor.dev/problems/")
    return parsed


def test_a_generated_client_builds_and_parses_every_resource(
    api: TestClient, container: Container, world: World, client_package: ModuleType
) -> None:
    def as_caller(secret: str) -> Any:
        return client_package.AuthenticatedClient(
            base_url=str(api.base_url),
            token=secret,
            raise_on_unexpected_status=True,
            # The TestClient's transport reaches the app in process (its lifespan runs).
            httpx_args={"transport": api._transport},
        )

    admin, operator = as_caller(world.a.admin), as_caller(world.operator)

    def get(operation_id: str, caller: Any, *args: Any, **query: Any) -> Any:
        return operation(client_package, operation_id)(*args, client=caller, **query)

    device_id = UUID(world.a.device_of_employee)
    device = typed(client_package, get("devices_get", admin, device_id), 200)
    assert device.id == device_id
    problem(client_package, get("devices_get", admin, UNKNOWN_ID), 404)

    company_id = UUID(world.a.company_id)
    company = typed(client_package, get("companies_get", operator, company_id), 200)
    assert company.id == company_id
    problem(client_package, get("companies_get", operator, UNKNOWN_ID), 404)

    member_id = UUID(world.a.employee_member)
    member = typed(client_package, get("members_get", admin, member_id), 200)
    assert member.id == member_id
    problem(client_package, get("members_get", admin, UNKNOWN_ID), 404)

    subscription_id = UUID(world.a.subscription)
    subscription = typed(client_package, get("subscriptions_get", admin, subscription_id), 200)
    assert subscription.id == subscription_id
    problem(client_package, get("subscriptions_get", admin, UNKNOWN_ID), 404)

    page = typed(client_package, get("event_log_list", admin, limit=2), 200)
    assert len(page.items) == 2
    for item in page.items:
        assert type(item).__module__.startswith(f"{client_package.__name__}.models.")
        assert_declares_everything(item)
    assert page.next_cursor  # more events than the page holds: neither None nor UNSET
    problem(client_package, get("event_log_list", admin, limit=0), 422)
