"""Typed identity inputs: the sign-up, log-in, code, password reset and account forms clean into them (with the
same per-field msgids as ever), and refuse bad input with every problem named at once."""

from __future__ import annotations

import pytest

from windsurf.core.errors import InvalidInput, ServiceError
from windsurf.identity import inputs, validation

PASSWORD = "a long enough password 2026"


def refused(error: pytest.ExceptionInfo[InvalidInput]) -> dict[str, str]:
    return error.value.errors


def test_email_sign_up_cleans_every_field() -> None:
    typed = inputs.email_sign_up_form(
        display_name="  Hana   Tesfaye ", handle=" @Hana_T ", email=" Hana@Example.COM ", password=PASSWORD
    )
    assert typed == inputs.EmailSignUp("Hana Tesfaye", "hana_t", "hana@example.com", PASSWORD)


def test_email_sign_up_names_every_bad_field_at_once() -> None:
    with pytest.raises(InvalidInput) as error:
        inputs.email_sign_up_form(display_name="", handle="a", email="not an email", password="short")
    assert refused(error) == {
        "display_name": "Enter your name.",
        "handle": "A handle has 3 to 30 characters: lowercase letters, digits and underscores, not at either end.",
        "email": "Enter a valid email address, like name@example.com.",
        "password": "Use at least 8 characters for your password.",
    }
    with pytest.raises(InvalidInput) as reserved:
        inputs.email_sign_up_form(
            display_name="Hana", handle="dashboard", email="h@example.com", password=PASSWORD
        )
    assert refused(reserved) == {"handle": "That handle is reserved. Please choose another."}
    with pytest.raises(InvalidInput) as control:
        inputs.email_sign_up_form(
            display_name="Ha\x00na", handle="hana", email="h@example.com", password=PASSWORD
        )
    assert list(refused(control)) == ["display_name"]


def test_phone_sign_up_and_a_phone_number_come_out_in_e164() -> None:
    assert inputs.phone_sign_up_form(display_name="Abebe", handle="abebe", phone="0911 234 567") == (
        inputs.PhoneSignUp("Abebe", "abebe", "+251911234567")
    )
    assert inputs.phone_number_form(phone="+251 711 234 567") == inputs.PhoneNumber("+251711234567")
    with pytest.raises(InvalidInput) as error:
        inputs.phone_sign_up_form(display_name="", handle="ok_handle", phone="0111 234 567")  # a landline
    assert refused(error) == {
        "phone": "Enter a valid Ethiopian mobile number, like 0911 234 567.",
        "display_name": "Enter your name.",
    }
    with pytest.raises(InvalidInput) as empty:
        inputs.phone_number_form(phone=" ")
    assert refused(empty) == {"phone": "Enter your phone number."}


def test_log_in_never_refuses_and_an_address_that_is_none_matches_no_account() -> None:
    assert inputs.login_form(email=" Hana@Example.com", password=PASSWORD) == inputs.Credentials(
        "hana@example.com", PASSWORD
    )
    # Not an address: nothing to look up, and the service answers as for a wrong password.
    assert inputs.login_form(email="hana", password="x").email is None
    # A password longer than any that can be set is cut, so checking it costs the same.
    long = inputs.login_form(email="h@example.com", password="x" * 10_000)
    assert len(long.password) == validation.PASSWORD_MAX


def test_a_code_and_its_number_are_cleaned_and_any_fault_is_the_codes() -> None:
    assert inputs.phone_code_form(phone="0911234567", code=" 123 456 ") == inputs.PhoneCode(
        "+251911234567", "123456"
    )
    for phone, code in (("0911234567", "12345"), ("0911234567", "abcdef"), ("12", "123456")):
        with pytest.raises(ServiceError) as error:
            inputs.phone_code_form(phone=phone, code=code)
        assert error.value.field == "code"
        assert not isinstance(error.value, InvalidInput)


def test_password_reset_forms() -> None:
    assert inputs.email_address_form(email="A@b.ET") == inputs.EmailAddress("a@b.et")
    with pytest.raises(InvalidInput) as bad_email:
        inputs.email_address_form(email="")
    assert refused(bad_email) == {"email": "Enter your email address."}
    assert inputs.password_reset_form(token="t" * 9000, password=PASSWORD) == inputs.PasswordReset(
        "t" * inputs.TOKEN_MAX, PASSWORD
    )
    with pytest.raises(InvalidInput) as too_long:
        inputs.password_reset_form(token="t", password="p" * 129)
    assert refused(too_long) == {"password": "Your password can have at most 128 characters."}
    with pytest.raises(InvalidInput) as unreadable:
        inputs.password_reset_form(token="t", password="good password \ud800")
    assert refused(unreadable) == {
        "password": "Your password has a character we cannot read. Please choose another."
    }


def test_account_change_forms() -> None:
    assert inputs.password_change_form(current_password="old one", password=PASSWORD) == (
        inputs.PasswordChange("old one", PASSWORD)
    )
    with pytest.raises(InvalidInput) as short:
        inputs.password_change_form(current_password="old one", password="short")
    assert refused(short) == {"password": "Use at least 8 characters for your password."}
    assert inputs.email_change_form(email=" New@Example.com ", current_password="pw") == inputs.EmailChange(
        "new@example.com", "pw"
    )
    with pytest.raises(InvalidInput) as bad:
        inputs.email_change_form(email="new@", current_password="pw")
    assert list(refused(bad)) == ["email"]
    # The current password is never judged by the form (only the service knows it), only cut to length.
    assert inputs.current_password_form(current_password="") == inputs.CurrentPassword("")
    assert len(inputs.current_password_form(current_password="p" * 500).current_password) == 128
