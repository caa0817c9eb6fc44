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
import io
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
from tests.e2e._http import TestClient, World, head, settle

PACKAGE = "lessor_client"
UNKNOWN_ID = UUID("00000000-0000-4000-8000-000000000000")
GENERATOR = Path(sys.executable).with_name("openapi-python-client")


def generate(document: str, workdir: Path) -> subprocess.CompletedProcess[str]:
    (workdir / "openapi.json").write_text(document, encoding="utf-8")
    # As the generator's docs advise for a binary type it has no parser for: a PDF is a File.
    config = (
        "post_hooks: []\ncontent_type_overrides:\n  application/pdf: application/octet-stream\n"
    )
    (workdir / "config.yaml").write_text(config, encoding="utf-8")
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


def as_caller(package: ModuleType, api: TestClient, secret: str) -> Any:
    """A generated client with a token, strict about undocumented statuses."""
    return package.AuthenticatedClient(
        base_url=str(api.base_url),
        token=secret,
        raise_on_unexpected_status=True,
        # The TestClient's transport reaches the app in process (its lifespan runs).
        httpx_args={"transport": api._transport},
    )


def typed_page(package: ModuleType, response: Any) -> Any:
    """A list page whose every item is a generated model declaring the whole item."""
    page = typed(package, response, 200)
    assert page.items, response.content[:300]
    for item in page.items:
        assert type(item).__module__.startswith(f"{package.__name__}.models."), type(item)
        assert_declares_everything(item)
    return page


def problem(package: ModuleType, response: Any, status: int) -> Any:
    parsed = typed(package, response, status)
    assert parsed.status == status
    assert parsed.type_.startswith("https://lessor.dev/problems/")
    return parsed


def test_a_generated_client_builds_and_parses_every_resource(
    api: TestClient, container: Container, world: World, client_package: ModuleType
) -> None:
    admin = as_caller(client_package, api, world.a.admin)
    operator = as_caller(client_package, api, world.operator)

    def get(operation_id: str, caller: Any, *args: Any, **query: Any) -> Any:
        return operation(client_package, operation_id)(*args, client=caller, **query)

    device_id, company_id, member_id, subscription_id, plan_id = (
        UUID(world.a.device_of_employee),
        UUID(world.a.company_id),
        UUID(world.a.employee_member),
        UUID(world.a.subscription),
        UUID(world.plan),
    )
    for operation_id, caller, known in [
        ("devices_get", admin, device_id),
        ("companies_get", operator, company_id),
        ("members_get", admin, member_id),
        ("subscriptions_get", admin, subscription_id),
        ("catalog_get_product", admin, plan_id),
    ]:
        assert typed(client_package, get(operation_id, caller, known), 200).id == known
        problem(client_package, get(operation_id, caller, UNKNOWN_ID), 404)

    settle(api, container, world.a.admin)
    page = typed_page(client_package, get("event_log_list", admin, limit=2))
    assert len(page.items) == 2
    assert page.next_cursor  # more events than the page holds: neither None nor UNSET
    problem(client_package, get("event_log_list", admin, limit=0), 422)

    devices = typed_page(client_package, get("devices_list", admin))
    assert {item.device_id for item in devices.items} >= {device_id}
    problem(client_package, get("devices_list", admin, company_id=UNKNOWN_ID), 404)
    typed_page(client_package, get("subscriptions_list", admin))
    typed_page(client_package, get("subscriptions_history", admin, subscription_id))
    typed_page(client_package, get("subscriptions_list_charges", admin))
    typed_page(client_package, get("companies_list", operator))
    typed_page(client_package, get("members_list", admin))
    typed_page(client_package, get("event_log_device_events", admin, device_id))

    typed_page(client_package, get("catalog_list_products", admin))

    chart = typed(
        client_package, get("end_of_lease_valuation_chart", admin, company_id, "laptop"), 200
    )
    assert chart.category == "laptop"
    assert chart.standard
    problem(client_package, get("end_of_lease_valuation_chart", admin, UNKNOWN_ID, "laptop"), 404)


def csv_file(package: ModuleType, text: str) -> Any:
    return package.types.File(payload=io.BytesIO(text.encode()), mime_type="text/csv")


def test_the_generated_client_imports_a_price_file(
    api: TestClient, container: Container, world: World, client_package: ModuleType
) -> None:
    """The endpoint the generator used to skip (a text/csv body): the file goes as bytes, a
    dry run parses into typed rows, a file with errors into a problem listing them by line."""
    admin = as_caller(client_package, api, world.a.admin)
    import_prices = operation(client_package, "devices_import_buyout_prices")
    header = "serial,price,available,effective_date"
    serial = world.a.serials[0]

    dry_run = import_prices(
        client=admin, body=csv_file(client_package, f"{header}\n{serial},3420.00,yes,2026-03-01\n")
    )
    result = typed(client_package, dry_run, 200)
    assert (result.dry_run, result.valid, result.counts.rows) == (True, True, 1)
    row = result.rows[0]
    assert_declares_everything(row)
    assert (row.serial, row.price.amount, row.available) == (serial, "3420.00", True)

    before = head(container)
    bad = f"{header}\n{serial},-5,maybe,2026-03-01\n"
    rejected = import_prices(client=admin, body=csv_file(client_package, bad), dry_run=False)
    refused = problem(client_package, rejected, 422)
    assert refused.errors, rejected.content[:300]
    for error in refused.errors:
        assert_declares_everything(error)
        assert error.line == 2
    assert {error.field for error in refused.errors} == {"price", "available"}
    assert head(container) == before  # nothing imported


def test_the_generated_client_reads_a_refused_webhook_as_a_problem(
    api: TestClient, client_package: ModuleType
) -> None:
    anonymous = client_package.Client(
        base_url=str(api.base_url),
        raise_on_unexpected_status=True,
        httpx_args={"transport": api._transport},
    )
    refused = operation(client_package, "webhooks_stripe")(client=anonymous)
    assert problem(client_package, refused, 400).type_.endswith("/invalid-signature")
