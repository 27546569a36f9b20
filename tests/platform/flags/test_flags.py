"""Feature flags on SQLite and PostgreSQL: stored, cached briefly, per environment database and per creator."""

from __future__ import annotations

import uuid

import pytest

from windsurf.core.uow import unit_of_work
from windsurf.flags import service as flags
from windsurf.settings import Settings


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _name() -> str:
    return f"test.{uuid.uuid4().hex[:10]}"


async def test_a_flag_is_off_until_set_and_on_for_listed_creators(settings: Settings) -> None:
    name, tester, other = _name(), uuid.uuid4(), uuid.uuid4()
    cache = flags.FlagCache()
    async with unit_of_work() as uow:
        assert not await flags.is_enabled(uow, name, cache=cache)  # unknown: off
        view = await flags.set_flag(
            uow,
            name,
            enabled=False,
            creators=[tester],
            description="New checkout",
            changed_by="staff@x",
            cache=cache,
        )
    assert view.creators == (tester,) and view.updated_by == "staff@x"
    async with unit_of_work() as uow:
        assert await flags.is_enabled(uow, name, tester, cache=cache)
        assert not await flags.is_enabled(uow, name, other, cache=cache)
        assert not await flags.is_enabled(uow, name, cache=cache)
        await flags.set_flag(uow, name, enabled=True, cache=cache)
    async with unit_of_work() as uow:
        assert await flags.is_enabled(uow, name, other, cache=cache)
        listed = {f.name: f for f in await flags.list_flags(uow)}
    # Setting again changes the row (no duplicate) and keeps the description it was not given.
    assert listed[name].enabled and listed[name].description == "New checkout" and listed[name].creators == ()


async def test_other_processes_see_a_change_within_the_cache_time(settings: Settings) -> None:
    name, clock = _name(), Clock()
    elsewhere = flags.FlagCache(ttl=10, clock=clock)  # another pod's copy
    async with unit_of_work() as uow:
        assert not await flags.is_enabled(uow, name, cache=elsewhere)
        await flags.set_flag(uow, name, enabled=True, cache=flags.FlagCache())
    async with unit_of_work() as uow:
        assert not await flags.is_enabled(uow, name, cache=elsewhere)  # still its cached copy
        clock.now += 10
        assert await flags.is_enabled(uow, name, cache=elsewhere)


async def test_bad_names_and_creators_are_refused(settings: Settings) -> None:
    async with unit_of_work() as uow:
        for bad in ("", "x", "Has Space", "9starts-with-digit", "a" * 65, "drop;table"):
            with pytest.raises(flags.InvalidFlagName):
                await flags.set_flag(uow, bad, enabled=True)
    with pytest.raises(flags.InvalidCreator):
        flags.parse_creators("not-a-uuid")
    one, two = uuid.uuid4(), uuid.uuid4()
    assert flags.parse_creators(f"{one}, {two}\n{one}") == (one, two)


def test_the_cli_sets_and_lists_flags(migrated_database: dict[str, str], tmp_path) -> None:
    from tests.platform.core.test_cli import windsurf

    env = {
        "WINDSURF_VAR_DIR": str(tmp_path),
        "WINDSURF_SECRET_KEY": "k" * 40,
        "WINDSURF_DATABASE_URL": migrated_database["database_url"],
    }
    name, creator = _name(), uuid.uuid4()
    result = windsurf(env, "flags", "set", name, "off", "--creators", str(creator), "--description", "Try it")
    assert result.returncode == 0, result.stderr
    assert f"{name}\tcreators\t{creator}\tTry it" in result.stdout.splitlines()
    result = windsurf(env, "flags", "set", name, "on")
    assert result.returncode == 0, result.stderr
    listed = windsurf(env, "flags", "list")
    assert f"{name}\ton\t\tTry it" in listed.stdout.splitlines()
    refused = windsurf(env, "flags", "set", "Bad Name", "on")
    assert refused.returncode == 2 and "flag name" in refused.stderr
    assert windsurf(env, "flags", "set", name, "on", "--creators", "nope").returncode == 2
