"""The ``link_entities`` switch of article writes, as a request dependency."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from app.linking.service import LinkOptions


# A coroutine: a plain function would be run in the thread pool, a hop that
# costs more than the work.
async def get_link_options(
    request: Request,
    link_entities: Annotated[
        bool,
        Query(
            description="Find mentions of known entities in the text; `false` keeps only "
            "the entities named in `entities` (and earlier automatic ones if the text is "
            "unchanged)."
        ),
    ] = True,
) -> LinkOptions:
    return LinkOptions(
        enabled=link_entities,
        refresh_seconds=request.app.state.settings.entity_refresh_seconds,
    )


LinkOptionsDep = Annotated[LinkOptions, Depends(get_link_options)]
