"""The Jinja2 environment: autoescaped templates with per-request translations and locale-aware filters.

Templates call ``_()``/``gettext`` and ``{% trans %}``; both resolve through the request's translations, so
one shared environment serves every language without reinstalling callables per request.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from babel.support import Translations
from jinja2 import BytecodeCache, Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.bccache import Bucket
from jinja2.runtime import Context
from markupsafe import Markup

from windsurf.core import i18n


def _translations(ctx: Context) -> Translations:
    if "translations" in ctx:
        return ctx["translations"]
    return ctx["request"].state.translations


def _locale(ctx: Context) -> str:
    if "locale" in ctx:
        return ctx["locale"]
    return ctx["request"].state.locale


@pass_context
def _gettext(ctx: Context, message: str, **variables: Any) -> str:
    translated = _translations(ctx).gettext(message)
    if ctx.eval_ctx.autoescape:
        translated = Markup(translated)  # noqa: S704 - our own catalog text; variables are escaped by %
    # As Jinja's own newstyle gettext: always %-format, so a literal % is written %% in every message.
    return translated % variables


@pass_context
def _ngettext(ctx: Context, singular: str, plural: str, count: int, **variables: Any) -> str:
    variables.setdefault("num", count)
    translated = _translations(ctx).ngettext(singular, plural, count)
    if ctx.eval_ctx.autoescape:
        translated = Markup(translated)  # noqa: S704 - our own catalog text; variables are escaped by %
    return translated % variables


@pass_context
def _money(ctx: Context, santim: int, currency: str = "ETB") -> str:
    return i18n.format_money(santim, _locale(ctx), currency)


def _calendar(ctx: Context, ethiopian: bool | None) -> bool:
    """An explicit ``ethiopian=`` wins; otherwise the page's ``ethiopian`` (the creator's store setting)."""
    return bool(ctx.get("ethiopian", False)) if ethiopian is None else ethiopian


@pass_context
def _date(ctx: Context, moment: Any, ethiopian: bool | None = None) -> str:
    return i18n.format_date(moment, _locale(ctx), ethiopian=_calendar(ctx, ethiopian))


@pass_context
def _datetime(ctx: Context, moment: Any, ethiopian: bool | None = None) -> str:
    return i18n.format_datetime(moment, _locale(ctx), ethiopian=_calendar(ctx, ethiopian))


class _ProcessBytecodeCache(BytecodeCache):
    """Each template is compiled once per process, however many environments load it: the page plugin and the
    stored-page renderer each build one, and in the test suite every test's app does. A bucket is keyed by the
    template's file and checked against its source, so an edited template compiles again."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_COMPILED = _ProcessBytecodeCache()


def build_environment(template_dirs: list[Path]) -> Environment:
    env = Environment(
        bytecode_cache=_COMPILED,
        loader=FileSystemLoader([str(path) for path in template_dirs]),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.newstyle_gettext = True  # type: ignore[attr-defined]
    env.globals.update(_=_gettext, gettext=_gettext, ngettext=_ngettext)
    env.filters.update(money=_money, date=_date, datetime=_datetime)
    return env
