"""Read-your-writes waits hold no worker thread and are bounded per caller (issue 9, finding 4).

No projector runs here, so a `?min_position` at the head waits until the test folds the log
itself (`catch_up`); the assertions are about what completes while the waits are open.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import httpx
import pytest

from api.bootstrap import Container
from api.http.reads import MAX_WAITS_PER_CALLER, ReadWaits
from domain.model.actor import Role
from tests.conftest import issue_token
from tests.e2e._http import TestClient, assert_problem, auth, head, make_client

# More waits than the server has worker threads (anyio's default pool: 40).
MANY_WAITS = 48


@pytest.fixture
def stalled(container: Container) -> Iterator[TestClient]:
    """The app with no projector running: every read model stays behind the log."""
    with make_client(container, start_projector=False) as client:
        yield client


def _waits(client: TestClient) -> ReadWaits:
    waits = client.app.state.read_waits  # type: ignore[attr-defined]
    assert isinstance(waits, ReadWaits)
    return waits


def _until(condition: Callable[[], bool], what: str) -> None:
    """Poll until `condition` holds (a guard against hanging, not a timing assertion)."""
    deadline = time.monotonic() + 20
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.01)


def _wait_reads(
    pool: ThreadPoolExecutor, client: TestClient, secrets: list[str], at: int
) -> list[Future[httpx.Response]]:
    return [
        pool.submit(client.get, "/v1/event-log", params={"min_position": at}, headers=auth(s))
        for s in secrets
    ]


def test_many_waiting_reads_do_not_delay_an_unrelated_request(
    stalled: TestClient, container: Container
) -> None:
    callers = [
        issue_token(container, Role.OPERATOR) for _ in range(MANY_WAITS // MAX_WAITS_PER_CALLER)
    ]
    unrelated = issue_token(container, Role.OPERATOR)
    at = head(container)
    assert container.projector.position("event_log") < at  # so every read below waits
    with ThreadPoolExecutor(max_workers=MANY_WAITS + 1) as pool:
        waiting = _wait_reads(pool, stalled, callers * MAX_WAITS_PER_CALLER, at)
        _until(lambda: _waits(stalled).open_waits() == MANY_WAITS, "every read is waiting")

        # While all of them wait, a read that does not wait is served...
        served = pool.submit(stalled.get, "/v1/devices", headers=auth(unrelated)).result()
        assert served.status_code == 200, served.text
        # ...and a write too
        company = pool.submit(
            stalled.post,
            "/v1/companies",
            json={"name": "Busy AB", "currency": "SEK"},
            headers=auth(unrelated),
        ).result()
        assert company.status_code == 201, company.text
        assert not any(w.done() for w in waiting)
        assert _waits(stalled).open_waits() == MANY_WAITS

        # Once the log is folded, every waiting read is answered.
        container.projector.catch_up()
        answers = [w.result() for w in waiting]
    assert [a.status_code for a in answers] == [200] * MANY_WAITS
    assert _waits(stalled).open_waits() == 0


def test_one_caller_may_have_only_a_few_waits_open(
    stalled: TestClient, container: Container
) -> None:
    greedy = issue_token(container, Role.OPERATOR)
    other = issue_token(container, Role.OPERATOR)
    at = head(container)
    with ThreadPoolExecutor(max_workers=MAX_WAITS_PER_CALLER + 1) as pool:
        waiting = _wait_reads(pool, stalled, [greedy] * MAX_WAITS_PER_CALLER, at)
        _until(lambda: _waits(stalled).open_waits() == MAX_WAITS_PER_CALLER, "the cap is used")

        refused = stalled.get("/v1/event-log", params={"min_position": at}, headers=auth(greedy))
        body = assert_problem(refused, 429, "too-many-requests")
        assert str(MAX_WAITS_PER_CALLER) in body["detail"]
        assert int(refused.headers["Retry-After"]) >= 1
        # Without min_position the same caller is served at once; another caller may wait.
        assert stalled.get("/v1/event-log", headers=auth(greedy)).status_code == 200
        other_wait = _wait_reads(pool, stalled, [other], at)
        _until(lambda: _waits(stalled).open_waits() == MAX_WAITS_PER_CALLER + 1, "other waits")
        assert not any(w.done() for w in waiting + other_wait)

        container.projector.catch_up()
        answers = [w.result() for w in waiting + other_wait]
    assert [a.status_code for a in answers] == [200] * (MAX_WAITS_PER_CALLER + 1)
    # The cap counts open waits only: the caller may wait again.
    again = stalled.get("/v1/event-log", params={"min_position": at}, headers=auth(greedy))
    assert again.status_code == 200, again.text


def test_a_position_beyond_the_head_is_refused_without_waiting_or_counting(
    stalled: TestClient, container: Container
) -> None:
    caller = issue_token(container, Role.OPERATOR)
    before = head(container)
    for _ in range(MAX_WAITS_PER_CALLER + 1):  # never counted against the cap
        response = stalled.get(
            "/v1/event-log", params={"min_position": before + 1}, headers=auth(caller)
        )
        assert_problem(response, 422, "invalid-value")
        assert _waits(stalled).open_waits() == 0
    assert head(container) == before
