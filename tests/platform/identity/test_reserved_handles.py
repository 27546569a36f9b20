"""No handle may take a first path segment the platform serves, or one it reserves for what it will serve."""

from __future__ import annotations

import pytest
from litestar import Litestar, get

from storefront.plugin import StorefrontPlugin
from tests.conftest import make_settings
from windsurf.app import SERVICE_ROUTERS, create_app, route_paths
from windsurf.identity import validation
from windsurf.identity.validation import FieldError


def test_every_route_segment_is_refused_as_a_handle(tmp_path: object) -> None:
    app: Litestar = create_app(
        make_settings(services=("storefront",), database_url=f"sqlite:///{tmp_path}/h.db")
    )
    # Other services' routes are reserved too, although this process does not mount them.
    face = next(plugin for plugin in app.plugins.init if isinstance(plugin, StorefrontPlugin))
    paths = [route.path for route in app.routes] + route_paths(
        [handler for routers in SERVICE_ROUTERS.values() for handler in routers()] + face.all_route_handlers()
    )
    segments = {path.strip("/").split("/")[0] for path in paths} - {""}
    candidates = {s for s in segments if "{" not in s and validation.HANDLE_PATTERN.match(s)}
    assert {"dashboard", "login", "signup", "account", "verify", "static", "metrics", "schema"} <= candidates
    for segment in candidates:
        with pytest.raises(FieldError):
            validation.clean_handle(segment)


@pytest.mark.parametrize(
    "handle",
    [
        "media",
        "account",
        "verify",
        "subscribe",
        "language",
        "checkout",
        "library",
        "download",
        "staff",
        "webhooks",
        "abuse",
        "null",
        "Health",
        "@Dashboard",
    ],
)
def test_the_issues_list_is_refused(handle: str) -> None:
    with pytest.raises(FieldError, match="reserved"):
        validation.clean_handle(handle)


def test_a_new_route_reserves_its_segment() -> None:
    @get("/giftcards/{code:str}", sync_to_thread=False)
    def giftcards(code: str) -> str:
        return code

    assert validation.clean_handle("giftcards") == "giftcards"
    validation.reserve_route_segments(route_paths([giftcards]))
    try:
        with pytest.raises(FieldError, match="reserved"):
            validation.clean_handle("giftcards")
        assert validation.clean_handle("giftcard_shop") == "giftcard_shop"
    finally:
        validation._route_segments.discard("giftcards")
