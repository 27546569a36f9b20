"""Typed inputs of the catalog service, and the cleaning that makes them from a page form or the JSON API.

The transport layer cleans; the service takes these values and never parses text. A cleaning function returns
the typed value or raises InvalidInput with one msgid per field, under the form's field names (``price``,
``compare_at``); the JSON API renames them to its own. The rules between fields (a price at least the
pay-what-you-want minimum, a duration for coaching...) run here on what the caller knows and again in the
service against the stored product, since only the service sees the row it changes.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any, Literal, cast

from windsurf.catalog import validation
from windsurf.catalog.validation import FieldError
from windsurf.core.errors import InvalidInput, ServiceError
from windsurf.core.i18n import N_

Kind = Literal["download", "lead_magnet", "link", "coaching"]
Visibility = Literal["draft", "published", "unlisted"]
LeadField = Literal["email", "phone"]
Direction = Literal["up", "down"]

DURATION_MESSAGE = N_("Enter a duration between 15 and 480 minutes.")
SALES_LIMIT_MESSAGE = N_("Enter a whole number of sales, or leave it empty for no limit.")
LEAD_FIELD_MESSAGE = N_("Choose whether to ask for an email or a phone number.")
PRICE_MESSAGE = N_("Enter a price in birr, for example 150 or 150.50.")
PRICE_TOO_HIGH = N_("That price is too high. The most a product may cost is 1,000,000 birr.")


class Keep(enum.Enum):
    """A field the caller did not give: the product keeps its value (on create: the column default)."""

    KEEP = "keep"


KEEP = Keep.KEEP


@dataclass(frozen=True)
class ProductChanges:
    """Clean values of a product's editable fields; ``KEEP`` leaves one as it is. Amounts are santim."""

    title: str | Keep = KEEP
    slug: str | Keep = KEEP
    description_md: str | Keep = KEEP
    price_santim: int | Keep = KEEP  # 0 = no price
    compare_at_santim: int | Keep | None = KEEP
    pwyw_min_santim: int | Keep | None = KEEP
    external_url: str | Keep = KEEP  # "" = none
    duration_minutes: int | Keep | None = KEEP
    lead_field: LeadField | Keep = KEEP
    sales_limit: int | Keep | None = KEEP

    def values(self) -> dict[str, Any]:
        """The given fields, by column name."""
        given = {f.name: getattr(self, f.name) for f in fields(self)}
        return {name: value for name, value in given.items() if value is not KEEP}


@dataclass(frozen=True)
class NewProduct:
    kind: Kind
    title: str
    fields: ProductChanges = ProductChanges()


# Form field -> column of ProductChanges.
FORM_FIELDS = {
    "title": "title",
    "slug": "slug",
    "description": "description_md",
    "price": "price_santim",
    "compare_at": "compare_at_santim",
    "pwyw_min": "pwyw_min_santim",
    "external_url": "external_url",
    "duration_minutes": "duration_minutes",
    "lead_field": "lead_field",
    "sales_limit": "sales_limit",
}
CREATE_DEFAULTS: Mapping[str, Any] = {"lead_field": "email"}


# --- per field ----------------------------------------------------------------------------------------------


def clean_kind(raw: str) -> Kind:
    return cast(Kind, validation.clean_kind(raw))


def clean_visibility(raw: str) -> Visibility:
    """The visibility a form or the API asks for; refused as the single-field error pages show today."""
    try:
        return cast(Visibility, validation.clean_visibility(raw))
    except FieldError as exc:
        raise ServiceError(exc.message, field="visibility") from None


def clean_direction(raw: str) -> Direction:
    if raw not in {"up", "down"}:
        raise ServiceError(N_("Some fields are missing or not valid."), field="direction")
    return cast(Direction, raw)


def clean_lead_field(raw: str) -> LeadField:
    if raw not in {"email", "phone"}:
        raise FieldError(LEAD_FIELD_MESSAGE)
    return cast(LeadField, raw)


def clean_santim(amount: int) -> int:
    """An amount the API gives in santim, held to the same bounds as one typed in birr."""
    if amount < 0:
        raise FieldError(PRICE_MESSAGE)
    if amount > validation.MAX_PRICE_SANTIM:
        raise FieldError(PRICE_TOO_HIGH)
    return amount


def clean_number(number: int, *, low: int, high: int, message: str) -> int:
    if not low <= number <= high:
        raise FieldError(message)
    return number


def _duration(raw: str) -> int | None:
    low, high = validation.DURATION_RANGE
    return validation.clean_whole_number(raw, low=low, high=high, message=DURATION_MESSAGE)


def _sales_limit(raw: str) -> int | None:
    return validation.clean_whole_number(
        raw, low=1, high=validation.SALES_LIMIT_MAX, message=SALES_LIMIT_MESSAGE
    )


def _optional_price(raw: str) -> int | None:
    return validation.parse_price(raw, required=False)


# What each form field's text becomes (per field, before the rules between fields).
_FORM_CLEANERS: dict[str, Callable[[str], Any]] = {
    "title": validation.clean_title,
    "slug": validation.clean_slug,
    "description": validation.clean_description,
    "price": lambda raw: _optional_price(raw) or 0,
    "compare_at": _optional_price,
    "pwyw_min": _optional_price,
    "external_url": lambda raw: validation.clean_url(raw, required=False),
    "duration_minutes": _duration,
    "lead_field": clean_lead_field,
    "sales_limit": _sales_limit,
}


# --- between fields -----------------------------------------------------------------------------------------


def check_rules(kind: str, merged: Mapping[str, Any], errors: dict[str, str], values: dict[str, Any]) -> None:
    """The rules between fields on the product as it would be (``merged``); ``values`` (by column) may be
    adjusted: a lead magnet is free, a pay-what-you-want product without a price suggests its minimum."""
    price = merged.get("price_santim") or 0
    compare_at = merged.get("compare_at_santim")
    pwyw_min = merged.get("pwyw_min_santim")
    if kind == "lead_magnet":
        # Free by definition: the buyer pays with an email or phone number.
        values.update(price_santim=0, compare_at_santim=None, pwyw_min_santim=None)
        return
    if kind in validation.PAID_KINDS and "price" not in errors:
        if pwyw_min is not None:
            if pwyw_min < validation.MIN_PRICE_SANTIM and "pwyw_min" not in errors:
                errors["pwyw_min"] = N_("The minimum must be at least 1 birr.")
            elif price and price < pwyw_min and "pwyw_min" not in errors:
                errors["price"] = N_("The suggested price cannot be below the minimum.")
            elif not price:
                values["price_santim"] = pwyw_min
        elif price < validation.MIN_PRICE_SANTIM:
            errors["price"] = N_("Enter a price of at least 1 birr, or set a pay-what-you-want minimum.")
    if kind == "link" and pwyw_min is not None and "pwyw_min" not in errors:
        errors["pwyw_min"] = N_("External links cannot be pay what you want.")
    effective_price = values.get("price_santim", price)
    if compare_at is not None and "compare_at" not in errors and compare_at <= effective_price:
        errors["compare_at"] = N_("The compare-at price must be higher than the price.")
    if kind == "coaching" and not merged.get("duration_minutes") and "duration_minutes" not in errors:
        errors["duration_minutes"] = DURATION_MESSAGE
    if kind == "link" and not merged.get("external_url") and "external_url" not in errors:
        errors["external_url"] = N_("Enter the link, starting with https://")


def _finish(
    kind: str | None,
    current: Mapping[str, Any],
    values: dict[str, Any],
    errors: dict[str, str],
) -> ProductChanges:
    """Run the rules between fields (when the kind is known) and build the typed value, or raise."""
    if kind is not None:
        # A field that failed keeps its current value for the rules (amounts fall back to none).
        merged = {**current, **{key: value for key, value in values.items() if key not in errors}}
        check_rules(kind, merged, errors, values)
    if errors:
        raise InvalidInput(errors)
    return ProductChanges(**values)


def _collect(
    present: Mapping[str, Any], cleaners: Mapping[str, Callable[[Any], Any]]
) -> tuple[dict[str, Any], dict[str, str]]:
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for field, value in present.items():
        if field == "slug" and not str(value).strip():
            continue  # an empty address means: keep it (on create: made from the title)
        column = FORM_FIELDS[field]
        try:
            cleaned = cleaners[field](value)
        except FieldError as exc:
            errors[field] = exc.message
            if field in {"price", "compare_at", "pwyw_min"}:
                # For the rules between fields a refused amount counts as none (a refused text field, by
                # contrast, keeps its current value).
                values[column] = 0 if field == "price" else None
            continue
        values[column] = cleaned
    return values, errors


# --- page forms ---------------------------------------------------------------------------------------------


def product_form(raw: Mapping[str, str], *, current: Any = None) -> ProductChanges:
    """The edit form's text (fields absent from ``raw`` are kept). Given ``current`` (the stored product) the
    rules between fields are checked too, so that one answer lists every error."""
    present = {field: raw[field] for field in FORM_FIELDS if field in raw}
    values, errors = _collect(present, _FORM_CLEANERS)
    return _finish(*_kind_and_columns(current), values, errors)


def _kind_and_columns(current: Any) -> tuple[str | None, dict[str, Any]]:
    if current is None:
        return None, {}
    return current.kind, {column: getattr(current, column) for column in FORM_FIELDS.values()}


def new_product_form(kind: str, raw: Mapping[str, str]) -> NewProduct:
    """The new-product form (title required, the rest optional)."""
    errors: dict[str, str] = {}
    try:
        clean = clean_kind(kind)
    except FieldError as exc:
        errors["kind"] = exc.message
        clean = "download"
    present = {"title": "", **{field: raw[field] for field in FORM_FIELDS if field in raw}}
    values, field_errors = _collect(present, _FORM_CLEANERS)
    errors.update(field_errors)
    changes = _finish(clean, CREATE_DEFAULTS, values, errors)
    title = changes.title
    assert isinstance(title, str)
    return NewProduct(kind=clean, title=title, fields=ProductChanges(**{**changes.values(), "title": KEEP}))


# --- JSON API -----------------------------------------------------------------------------------------------

# The API's own names for the amounts; its other fields share the form's names.
API_AMOUNTS = {"price_santim": "price", "compare_at_santim": "compare_at", "pwyw_min_santim": "pwyw_min"}


def _api_price(amount: int | None) -> int:
    return clean_santim(amount) if amount is not None else 0


def _api_amount(amount: int | None) -> int | None:
    return clean_santim(amount) if amount is not None else None


def _api_duration(number: int | None) -> int | None:
    if number is None:
        return None
    low, high = validation.DURATION_RANGE
    return clean_number(number, low=low, high=high, message=DURATION_MESSAGE)


def _api_sales_limit(number: int | None) -> int | None:
    if number is None:
        return None
    return clean_number(number, low=1, high=validation.SALES_LIMIT_MAX, message=SALES_LIMIT_MESSAGE)


_API_CLEANERS: dict[str, Callable[[Any], Any]] = {
    **_FORM_CLEANERS,
    "price": _api_price,
    "compare_at": _api_amount,
    "pwyw_min": _api_amount,
    "duration_minutes": _api_duration,
    "sales_limit": _api_sales_limit,
}
_TEXT_FIELDS = ("title", "slug", "description", "external_url", "lead_field")
_NUMBER_FIELDS = ("duration_minutes", "sales_limit")


def _api_present(given: Mapping[str, Any], clear: tuple[str, ...]) -> dict[str, Any]:
    """The API's fields under the form's names, as typed values (text stays text, amounts stay santim)."""
    present: dict[str, Any] = {}
    for name in _TEXT_FIELDS + _NUMBER_FIELDS:
        if given.get(name) is not None:
            present[name] = given[name]
    for api_name, field in API_AMOUNTS.items():
        if given.get(api_name) is not None:
            present[field] = given[api_name]
    for name in clear:
        field = API_AMOUNTS.get(name, name)
        if field in FORM_FIELDS:
            present[field] = "" if field in _TEXT_FIELDS else None
    return present


def product_api(
    given: Mapping[str, Any], clear: tuple[str, ...] = (), *, current: Any = None
) -> ProductChanges:
    """The JSON API's fields (``price_santim``...; ``clear`` names optional ones to remove); ``current`` as for
    ``product_form``."""
    values, errors = _collect(_api_present(given, clear), _API_CLEANERS)
    return _finish(*_kind_and_columns(current), values, errors)


def new_product_api(kind: str, given: Mapping[str, Any], clear: tuple[str, ...] = ()) -> NewProduct:
    errors: dict[str, str] = {}
    try:
        clean = clean_kind(kind)
    except FieldError as exc:
        errors["kind"] = exc.message
        clean = "download"
    present = {"title": "", **_api_present(given, clear)}
    values, field_errors = _collect(present, _API_CLEANERS)
    errors.update(field_errors)
    changes = _finish(clean, CREATE_DEFAULTS, values, errors)
    title = changes.title
    assert isinstance(title, str)
    return NewProduct(kind=clean, title=title, fields=ProductChanges(**{**changes.values(), "title": KEEP}))
