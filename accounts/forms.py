from __future__ import annotations

from crispy_forms.helper import FormHelper
from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.core.validators import MaxLengthValidator


class NHSFormMixin:
    """Render with the NHS.UK crispy template pack; the page writes its own <form> and button."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper(self)
        self.helper.form_tag = False


class LoginForm(NHSFormMixin, AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": ("Enter a correct username and password. Both are case-sensitive."),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        # Django sets the username's max_length after the field is made, so nothing checks it: a
        # longer username went on to authenticate(), and axes' record of the failed log-in (255
        # characters at most) failed with a server error.
        self.fields["username"].validators.append(MaxLengthValidator(self.fields["username"].max_length))
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "spellcheck": "false"})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})


class ChangePasswordForm(NHSFormMixin, PasswordChangeForm):
    pass


class LockedOutForm(NHSFormMixin, forms.Form):
    """The login form shown, with the lockout explained, while an account is locked."""

    username = forms.CharField(max_length=150)
    password = forms.CharField(widget=forms.PasswordInput)
