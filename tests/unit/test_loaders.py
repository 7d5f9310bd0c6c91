"""The request loader answers the views a list read without reading them again, and reads the
others as before (``graphql.loaders.Loaders.pages_read``); loaders are made when first asked."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from trustcenter.auth.principal import ANONYMOUS
from trustcenter.graphql import loaders as module
from trustcenter.graphql.loaders import Loaders


class View:
    def __init__(self) -> None:
        self.id = uuid.uuid4()


def test_a_page_read_answers_its_requests_and_the_others_are_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    on_page, elsewhere, unseen = View(), View(), uuid.uuid4()
    asked: list[list[uuid.UUID]] = []

    async def requests_by_ids(app: Any, principal: Any, ids: list[uuid.UUID]) -> dict[Any, Any]:
        asked.append(list(ids))
        return {elsewhere.id: elsewhere} if elsewhere.id in ids else {}

    monkeypatch.setattr(module.reads, "requests_by_ids", requests_by_ids)

    async def run() -> tuple[list[Any], list[Any]]:
        loaders = Loaders(None, ANONYMOUS)  # type: ignore[arg-type]
        loaders.pages_read([on_page])  # type: ignore[list-item]
        first = await loaders.request.load_many([on_page.id])
        both = await loaders.request.load_many([on_page.id, elsewhere.id, unseen])
        return first, both

    first, both = asyncio.run(run())
    assert first == [on_page]
    assert both == [on_page, elsewhere, None]
    assert asked == [[elsewhere.id, unseen]]  # the page's request was never read again


def test_loaders_are_made_once_per_request_and_only_the_known_ones() -> None:
    loaders = Loaders(None, ANONYMOUS)  # type: ignore[arg-type]
    assert "targets" not in vars(loaders)  # not made until asked
    assert loaders.targets is loaders.targets
    assert loaders.targets is not Loaders(None, ANONYMOUS).targets  # type: ignore[arg-type]
    with pytest.raises(AttributeError):
        loaders.no_such_loader  # noqa: B018
