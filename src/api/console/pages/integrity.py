"""Log integrity: the audit chain's last checkpoint and whether its signature verifies
(SPEC §7.2, ADR 0044). Operators only: one chain covers every company's events, so its
position counts them all."""

from __future__ import annotations

from fastapi import Request, Response

from adapters.audit_checkpoints import last_checkpoint
from api.console.rendering import render
from api.console.routing import console_pages
from api.console.session import ViewerDep, container_of
from domain.model.errors import NotAllowed
from projections.audit_chain import AuditChain

router = console_pages()


@router.get("/integrity")
def integrity(request: Request, viewer: ViewerDep) -> Response:
    if not viewer.is_operator:
        raise NotAllowed("Only operators see the log's integrity: it covers every company.")
    container = container_of(request)
    return render(
        request,
        viewer,
        "console/integrity.html",
        checkpoint=last_checkpoint(container.db, container.audit.public_keys),
        chained=container.projector.position(AuditChain.name),
    )
