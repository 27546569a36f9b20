"""The caller's address for rate limits: CloudFront's viewer address only on requests from our edge."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar, Request, get
from litestar.datastructures import State
from litestar.testing import TestClient

from windsurf.core.web import client_ip
from windsurf.settings import Settings

SECRET = "edge-secret-0123456789abcdefghijklmnop"


@get("/ip", sync_to_thread=False)
def who(request: Request[Any, Any, Any]) -> str:
    return client_ip(request, request.app.state.settings)


def ip_for(headers: dict[str, str], **settings: Any) -> str:
    app = Litestar([who], state=State({"settings": Settings(**settings)}))
    with TestClient(app) as client:
        return client.get("/ip", headers=headers).text


@pytest.mark.parametrize(
    ("viewer", "expected"),
    [
        ("196.188.12.34:51234", "196.188.12.34"),
        ("2001:db8:85a3::8a2e:370:7334:443", "2001:db8:85a3::8a2e:370:7334"),
    ],
)
def test_the_viewer_address_counts_on_requests_through_the_edge(viewer: str, expected: str) -> None:
    headers = {
        "x-windsurf-origin": SECRET,
        "cloudfront-viewer-address": viewer,
        "x-forwarded-for": "10.0.0.1",
    }
    assert ip_for(headers, edge_secret=SECRET, trust_forwarded_for=True) == expected


@pytest.mark.parametrize(
    "headers",
    [
        {"cloudfront-viewer-address": "203.0.113.9:443"},  # no secret: anyone can send the header
        {"x-windsurf-origin": "guess", "cloudfront-viewer-address": "203.0.113.9:443"},
        {"x-windsurf-origin": SECRET, "cloudfront-viewer-address": "not-an-address:1"},
    ],
)
def test_a_viewer_address_without_the_edge_secret_is_ignored(headers: dict[str, str]) -> None:
    assert ip_for(headers, edge_secret=SECRET) == "testclient"


def test_no_configured_secret_trusts_nobody() -> None:
    headers = {"x-windsurf-origin": "", "cloudfront-viewer-address": "203.0.113.9:443"}
    assert ip_for(headers) == "testclient"
    # The load balancer's own hop is still used when the deployment says it is behind one.
    assert ip_for({"x-forwarded-for": "203.0.113.7, 10.0.3.4"}, trust_forwarded_for=True) == "10.0.3.4"
