"""The filters of the recommendations list, declared once for every route that reads a
list (its pages and its export), and narrowed to what the caller may see."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated
from uuid import UUID

from fastapi import Depends, Query

from domain.origin import SDG_RULE, Source, check_sdg
from domain.values import PlaceType, RecommendationKind, Status
from projections.views.status import ListFilters
from services.api.auth import Principal

# Query text goes into SQL parameters, and PostgreSQL text cannot hold NUL.
NO_NUL = r"^[^\x00]*$"


async def list_filters(
    status: Status | None = None,
    authority_id: UUID | None = None,
    place_id: UUID | None = None,
    place_type: PlaceType | None = None,
    kind: RecommendationKind | None = None,
    source: Source | None = None,
    body: Annotated[
        str | None,
        Query(max_length=200, pattern=NO_NUL, description="a recommending body, by name"),
    ] = None,
    sdg: Annotated[str | None, Query(max_length=10, description=SDG_RULE)] = None,
    theme: Annotated[str | None, Query(max_length=200, pattern=NO_NUL)] = None,
    keyword: Annotated[str | None, Query(max_length=200, pattern=NO_NUL)] = None,
    group: Annotated[
        str | None, Query(max_length=200, pattern=NO_NUL, description="vulnerable group")
    ] = None,
    overdue: bool | None = None,
    open: Annotated[
        bool | None,
        Query(
            description="still open (issued, answered or assessed, and not implemented), "
            "oldest first; false: the others"
        ),
    ] = None,
    year: Annotated[int | None, Query(ge=1900, le=2200)] = None,
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            pattern=NO_NUL,
            description="words of the text, or a reference (whole or its start) or external id",
        ),
    ] = None,
    reference: Annotated[
        str | None,
        Query(
            max_length=40,
            pattern=r"^[A-Za-z0-9-]+$",
            description="a reference, whole (NPM-2024-0123) or its start (NPM-2024-)",
        ),
    ] = None,
) -> ListFilters:
    return ListFilters(
        status=status.value if status else None,
        authority_id=authority_id,
        place_id=place_id,
        place_type=place_type.value if place_type else None,
        kind=kind.value if kind else None,
        source=source.value if source else None,
        body=body,
        sdg=check_sdg(sdg, "sdg") if sdg is not None else None,
        theme=theme,
        keyword=keyword,
        group=group,
        year=year,
        overdue=overdue,
        open=open,
        q=q,
        reference=reference,
    )


ListQuery = Annotated[ListFilters, Depends(list_filters)]


def visible(filters: ListFilters, principal: Principal) -> ListFilters | None:
    """The list narrowed to what this caller may see; None when it may see none of it
    (a liaison asking for another authority's, for drafts, or filtering on tags)."""
    if not principal.sees_published_only:
        return filters
    # Tags are internal: filtering on them would tell a liaison what they hold.
    internal_filter = any(f is not None for f in (filters.theme, filters.keyword, filters.group))
    elsewhere = not principal.may_see(filters.authority_id or principal.scoped_authority)
    if elsewhere or internal_filter or filters.status == Status.DRAFT.value:
        return None
    return replace(filters, authority_id=principal.scoped_authority, issued_only=True)


def given(filters: ListFilters) -> dict[str, str]:
    """The filters a caller gave, as text (for the log and a file's name)."""
    return {
        name: str(value)
        for name, value in vars(filters).items()
        if value is not None and value is not False
    }
