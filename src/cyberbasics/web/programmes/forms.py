from __future__ import annotations

import re
import zoneinfo

from django import forms
from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ...report.review_model import (
    MAX_BRAND_NAME,
    MAX_LOGO_BYTES,
    PNG_SIGNATURE,
    BrandingError,
    make_branding,
)
from ...scan.targets import InvalidTarget, parse_target
from ..widgets import LongSelect
from .services import MAGIC_LINK_DAYS, MAGIC_LINK_MAX_DAYS

_COUNTRY = re.compile(r"^[A-Z]{2}$")


def time_zone_choices():
    return [(name, name) for name in sorted(zoneinfo.available_timezones())
            if "/" in name or name == "UTC"]


class AddClientForm(forms.Form):
    name = forms.CharField(label=_("Business name"), max_length=200)
    country = forms.CharField(label=_("Country"), max_length=2, min_length=2,
                              help_text=_("Two-letter code, for example GB, PL, ES, IT or RO."))
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices,
                                  widget=LongSelect)
    domain = forms.CharField(label=_("Domain (optional)"), max_length=253, required=False,
                             help_text=_("The business's website or e-mail domain, for "
                                         "example example.com."))
    consent = forms.CharField(
        label=_("The owner's written consent"), widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=_("How and when the owner agreed that you manage this business's review, "
                    "for example: \"E-mail from the owner, 3 March 2025\"."))
    programme = forms.ModelChoiceField(label=_("Programme"), queryset=None, empty_label=None)

    def __init__(self, *args, programmes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = programmes
        if programmes.count() == 1:
            self.fields["programme"].widget = forms.HiddenInput()
            self.fields["programme"].initial = programmes.first()
        first = programmes.first()
        if first is not None:
            self.fields["time_zone"].initial = first.time_zone
            self.fields["country"].initial = first.country

    def clean_country(self):
        country = self.cleaned_data["country"].strip().upper()
        if not _COUNTRY.match(country):
            raise forms.ValidationError(gettext("Enter the country's two-letter code, "
                                                "for example GB."))
        return country

    def clean_domain(self):
        text = self.cleaned_data.get("domain", "").strip()
        if not text:
            return None
        try:
            return parse_target(text).domain
        except InvalidTarget:
            raise forms.ValidationError(
                gettext("Enter a domain such as example.com (not an IP address).")) from None

    def clean_consent(self):
        consent = " ".join(self.cleaned_data["consent"].split())
        if len(consent) < 10:
            raise forms.ValidationError(gettext(
                "Say how and when the owner agreed, in a sentence."))
        return consent


class EmailForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"))


class NoteForm(forms.Form):
    text = forms.CharField(label=_("New note"), widget=forms.Textarea(attrs={"rows": 4}),
                           max_length=10000)


class BrandingForm(forms.Form):
    name = forms.CharField(label=_("Name on your reports"), max_length=MAX_BRAND_NAME)
    logo = forms.FileField(label=_("Logo (PNG, at most 256 KiB)"), required=False,
                           widget=forms.ClearableFileInput(attrs={"accept": "image/png"}))
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)

    def clean_logo(self):
        upload = self.cleaned_data.get("logo")
        if not upload:
            return None
        if upload.size > MAX_LOGO_BYTES:
            raise forms.ValidationError(gettext(
                "The logo is %(size)s KiB; at most 256 KiB are allowed. Save it smaller and "
                "try again.") % {"size": (upload.size + 1023) // 1024})
        data = upload.read()
        if not data.startswith(PNG_SIGNATURE):
            raise forms.ValidationError(gettext("The logo must be a PNG image (a .png file)."))
        return data

    def clean(self):
        cleaned = super().clean()
        if "name" in cleaned and "logo" not in self.errors:
            try:
                make_branding(cleaned["name"], cleaned.get("logo"))
            except BrandingError as error:
                # The core explains what is wrong with the file, in English.
                raise forms.ValidationError(
                    gettext("The branding cannot be used: %(reason)s.") % {"reason": error}) \
                    from None
        return cleaned


class MagicLinkForm(forms.Form):
    days = forms.IntegerField(label=_("Valid for (days)"), min_value=1,
                              max_value=MAGIC_LINK_MAX_DAYS, initial=MAGIC_LINK_DAYS,
                              help_text=_("From 1 to 60 days."))
    review = forms.ModelChoiceField(label=_("Review"), queryset=None, required=False,
                                    empty_label=_("The business's current review"))
    email = forms.EmailField(label=_("Send it to (optional)"), required=False,
                             help_text=_("We e-mail the link to this address. Leave empty to "
                                         "copy the link and send it yourself."))
    language = forms.ChoiceField(label=_("Language of the e-mail"), choices=settings.LANGUAGES)

    def __init__(self, *args, business, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["review"].queryset = business.reviews.order_by("-created_at")
        self.fields["review"].label_from_instance = _review_label


def _review_label(review) -> str:
    started = review.created_at.date().isoformat()
    if review.completed_at:
        return gettext("Review of %(date)s (completed)") % {"date": started}
    return gettext("Review of %(date)s (in progress)") % {"date": started}
