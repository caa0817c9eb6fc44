"""The expected version of a command on an existing resource, from one dependency.

A client names the version it read in either of two ways (docs/adr/0004): the HTTP way,
`If-Match` with the resource's `ETag` (RFC 9110 §13.1.1; a stale one answers 412
Precondition Failed), or, as clients before it do, the body's `expected_version` (409 when
stale). The body field stays declared on the schema, which validates it and shows it in
the OpenAPI; this dependency reads the same field of the same JSON, so that a route never
passes it on by hand. Both given and naming different versions is a contradiction: 400.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Annotated

from fastapi import Depends, Header, Request
from starlette.exceptions import HTTPException

from api.http.deps import ContextDep
from domain.application import CommandContext

IF_MATCH = "If-Match"
# A version no resource is ever at (they start at 1): what a tag that is not ours names.
NO_VERSION = 0
_MAX_DIGITS = 19  # log positions and versions are 64-bit; longer never matches
_ENTITY_TAG = re.compile(r'(W/)?"([\x21\x23-\x7e]*)"')
_SENT = "if_match"  # request.state: the If-Match a version conflict answers 412 for


def version_in_if_match(value: str) -> int | None:
    """The version an `If-Match` names; None for `*` (any current version will do).

    A weak tag never matches (If-Match compares strongly), nor does one that is not a
    version of ours: both name `NO_VERSION`, so the command answers 412.
    """
    text = value.strip()
    if text == "*":
        return None
    found = _ENTITY_TAG.fullmatch(text)
    if found is None:
        if "," in text:
            raise HTTPException(
                400, 'If-Match takes one entity tag: the ETag of your last read, e.g. "3".'
            )
        raise HTTPException(
            400, f'If-Match takes the ETag as sent, in quotes (e.g. "3"), not {text}.'
        )
    weak, tag = found.groups()
    if weak or not tag.isascii() or not tag.isdigit() or len(tag) > _MAX_DIGITS:
        return NO_VERSION
    return int(tag)


async def _expected_in_body(request: Request) -> int | None:
    """The body's expected_version, if it is one; any other value the schema refuses."""
    try:
        parsed = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        return None
    value = parsed.get("expected_version") if isinstance(parsed, dict) else None
    return value if type(value) is int and value >= 1 else None


async def versioned_context(
    request: Request,
    ctx: ContextDep,
    if_match: Annotated[
        str | None,
        Header(
            alias=IF_MATCH,
            description='The ETag of your last read, e.g. "3": 412 unless it is still current',
        ),
    ] = None,
) -> CommandContext:
    in_body = await _expected_in_body(request)
    if if_match is None:
        return replace(ctx, expected_version=in_body)
    in_header = version_in_if_match(if_match)
    if in_header is None:
        return replace(ctx, expected_version=in_body)
    if in_body is not None and in_body != in_header:
        raise HTTPException(
            400,
            f"If-Match {if_match.strip()} and expected_version {in_body} name different"
            " versions: send one of them, or the same version in both.",
        )
    setattr(request.state, _SENT, if_match.strip())
    return replace(ctx, expected_version=in_header)


VersionedContextDep = Annotated[CommandContext, Depends(versioned_context)]


def if_match_sent(request: Request) -> str | None:
    """The If-Match a command was held to: its version conflict is a failed precondition."""
    sent = getattr(request.state, _SENT, None)
    return sent if isinstance(sent, str) else None
