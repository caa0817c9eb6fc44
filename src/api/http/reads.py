"""The views a query reads, held until its read model has folded the caller's write.

The query checks the caller's rights before it opens a transaction, so a refused read is
answered at once, and only an allowed one waits for `?min_position` (read-your-writes).
"""

from __future__ import annotations

from contextlib import AbstractContextManager

from api.bootstrap import Container
from api.http.deps import wait_for_position
from projections.reading import ViewReads


class _ViewsAfter:
    def __init__(self, c: Container, projection: str, min_position: int | None) -> None:
        self._c = c
        self._projection = projection
        self._min_position = min_position

    def transaction(self) -> AbstractContextManager[ViewReads]:
        wait_for_position(self._c, self._projection, self._min_position)
        return self._c.db.transaction()


def views_after(c: Container, projection: str, min_position: int | None) -> _ViewsAfter:
    """The view database, first waiting (bounded) until `projection` reached `min_position`."""
    return _ViewsAfter(c, projection, min_position)
