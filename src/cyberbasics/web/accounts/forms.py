from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import PasswordChangeForm as DjangoPasswordChangeForm
from django.utils.translation import gettext_lazy as _

from .models import User


def _email_field(**attrs) -> forms.EmailField:
    return forms.EmailField(
        label=_("E-mail address"), max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autocapitalize": "none",
                                       "spellcheck": "false", **attrs}))


def _password_field(label, autocomplete: str, **kwargs) -> forms.CharField:
    return forms.CharField(label=label, strip=False,
                           widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}),
                           **kwargs)


class SignUpForm(forms.Form):
    email = _email_field()
    name = forms.CharField(label=_("Your name"), max_length=150,
                           widget=forms.TextInput(attrs={"autocomplete": "name"}))
    password1 = _password_field(_("Password"), "new-password",
                                help_text=_("At least 10 characters; a few unrelated words "
                                            "make a good one."))
    password2 = _password_field(_("Password again"), "new-password")

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                _("An account with this e-mail address already exists. Sign in instead."))
        return email

    def clean(self):
        data = super().clean()
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords are not the same."))
        elif first:
            candidate = User(email=data.get("email", ""), name=data.get("name", ""))
            try:
                password_validation.validate_password(first, candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data


class SignInForm(forms.Form):
    email = _email_field(autofocus=True)
    password = _password_field(_("Password"), "current-password")

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("6-digit code from your authenticator app"), max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                      "pattern": "[0-9 ]*", "autofocus": True,
                                      "autocapitalize": "none", "spellcheck": "false"}))


class DisableTwoFactorForm(forms.Form):
    password = _password_field(_("Your password"), "current-password")

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("That is not your password."))
        return password


class DeleteAccountForm(DisableTwoFactorForm):
    pass


class PasswordChangeForm(DjangoPasswordChangeForm):
    """Django's form with our labels and the browsers' password-manager hints."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = _("Current password")
        self.fields["old_password"].widget.attrs.update(autocomplete="current-password",
                                                        autofocus=False)
        self.fields["new_password1"].label = _("New password")
        self.fields["new_password2"].label = _("New password again")
        for name in ("new_password1", "new_password2"):
            self.fields[name].widget.attrs["autocomplete"] = "new-password"
        self.fields["new_password1"].help_text = _(
            "At least 10 characters; a few unrelated words make a good one.")


class ProfileForm(forms.ModelForm):
    language = forms.ChoiceField(
        label=_("Language"), required=False,
        choices=[("", _("Follow my browser")), *settings.LANGUAGES])

    class Meta:
        model = User
        fields = ["name", "language"]
        labels = {"name": _("Your name")}
        widgets = {"name": forms.TextInput(attrs={"autocomplete": "name"})}


class ConfirmNameForm(forms.Form):
    name = forms.CharField(label=_("Type the business's name to confirm"), max_length=200,
                           widget=forms.TextInput(attrs={"autocomplete": "off"}))

    def __init__(self, expected: str, *args, **kwargs):
        self.expected = expected
        super().__init__(*args, **kwargs)

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        if name.strip().casefold() != self.expected.strip().casefold():
            raise forms.ValidationError(_("That is not the business's name."))
        return name
