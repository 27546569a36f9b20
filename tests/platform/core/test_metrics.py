"""/metrics: labelled by route template (bounded however many distinct URLs arrive), served only to the scraper."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import uuid

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import make_settings, post_form, serve
from tests.helpers import new_identity
from windsurf.app import create_app
from windsurf.core.migrate import migrate
from windsurf.core.tables import Job
from windsurf.settings import Settings

TOKEN = "scraper-" + "Qm9vdHN0cmFwLXRoZS1zY3JhcGVyLXRva2VuLTIwMjY"


def _series(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("windsurf_requests_total{")]


async def _scrape(client: AsyncTestClient[Litestar]) -> str:
    response = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    return response.text


async def test_series_are_per_route_template_not_per_url(settings: Settings) -> None:
    app = create_app(dataclasses.replace(settings, metrics_token=TOKEN))
    async with serve(app) as client:
        await post_form(client, "/signup/email", new_identity())
        before = len(_series(await _scrape(client)))
        marker = uuid.uuid4().hex
        for number in range(60):
            await client.get(f"/no/such/page/{marker}/{number}")  # unknown paths
            await client.get(f"/@nobody_{marker[:8]}{number}")  # a route with a parameter
            await client.get(f"/api/v1/catalog/products/{uuid.uuid4()}")
        text = await _scrape(client)
    assert marker not in text and marker[:8] not in text
    assert 'route="unmatched"' in text
    assert re.search(r'route="/api/v1/catalog/products/\{product_id\}"', text)
    # A handful of new series (one per template, method and status), not one per URL.
    assert len(_series(text)) - before <= 8


async def test_metrics_need_the_bearer_token(settings: Settings) -> None:
    app = create_app(dataclasses.replace(settings, metrics_token=TOKEN))
    async with serve(app) as client:
        await client.get("/login")
        assert (await client.get("/metrics")).status_code == 404
        assert (await client.get("/metrics", headers={"Authorization": "Bearer wrong"})).status_code == 404
        assert (await client.get("/metrics", headers={"Authorization": TOKEN})).status_code == 404
        text = await _scrape(client)
        assert "/metrics" not in (await client.get("/schema/openapi.json")).json()["paths"]
    assert re.search(r'windsurf_requests_total\{[^}]*route="/login"[^}]*\} \d', text)


async def test_without_a_token_metrics_are_not_served(tmp_path: object) -> None:
    app = create_app(make_settings(var_dir=tmp_path, database_url=f"sqlite:///{tmp_path}/m.sqlite"))
    await migrate(app.state.settings)
    async with serve(app) as client:
        assert (await client.get("/metrics")).status_code == 404
        assert (await client.get("/metrics", headers={"Authorization": "Bearer "})).status_code == 404


def _gauge(text: str, name: str) -> float:
    match = re.search(rf"^{name} (\S+)$", text, re.MULTILINE)
    assert match, f"{name} is not exported"
    return float(match.group(1))


async def test_the_job_backlog_is_read_from_the_outbox_at_each_scrape(settings: Settings) -> None:
    app = create_app(dataclasses.replace(settings, metrics_token=TOKEN))
    waiting, dead = uuid.uuid4(), uuid.uuid4()
    async with serve(app) as client:
        before = await _scrape(client)
        now = dt.datetime.now(dt.UTC)
        await Job.insert(
            # Older than any job other tests leave behind in the session's database, so it is the oldest.
            Job(id=waiting, name="metrics.probe", payload={}, run_at=now - dt.timedelta(days=365)),
            Job(id=dead, name="metrics.probe", payload={}, status="dead", run_at=now),
            # Not yet due: no worker may take it, so it is no backlog.
            Job(id=uuid.uuid4(), name="metrics.probe", payload={}, run_at=now + dt.timedelta(hours=1)),
        )
        try:
            after = await _scrape(client)
        finally:
            await Job.delete().where(Job.name == "metrics.probe")
        cleared = await _scrape(client)
    assert _gauge(after, "windsurf_jobs_claimable") == _gauge(before, "windsurf_jobs_claimable") + 1
    assert _gauge(after, "windsurf_jobs_oldest_claimable_age_seconds") >= 365 * 86400
    assert _gauge(after, "windsurf_jobs_dead") == _gauge(before, "windsurf_jobs_dead") + 1
    assert _gauge(cleared, "windsurf_jobs_oldest_claimable_age_seconds") < 364 * 86400
    # The counter is the process's: other tests' failed reads may have counted before; these reads added none.
    errors = "windsurf_jobs_backlog_errors_total"
    assert _gauge(cleared, errors) == _gauge(before, errors)
