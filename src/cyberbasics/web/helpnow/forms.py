"""The Help now forms: the breach clock, the draft breach notification and the country choice.

Every field the core's draft understands (`breach.FIELDS`) takes its label from the core's
words (content/<lang>/breach.yaml), so the form and the draft say the same thing in the same
language. The core does the checking (`breach.deadline`, `breach.validate`); a
`BreachInputError` becomes an error on the field it names, in the page's language.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cyberbasics.incident.breach import (
    BreachInputError,
    Deadline,
    deadline,
    validate,
    wall_clock,
    zone,
)
from cyberbasics.texts import words

from ..businesses.forms import PILOT_COUNTRIES, zone_choices
from ..widgets import LongSelect

TEXT = 10_000
SHORT = 200
YES_NO = (("", _("Not sure")), ("yes", _("Yes")), ("no", _("No")))
_FLAGS = {"yes": True, "no": False}


# Dates outside these cannot be a breach anyone is dealing with now, and far-off years would
# overflow when moved between time zones.
EARLIEST, LATEST = dt.date(1970, 1, 1), dt.date(2100, 1, 1)


def _check_year(day: dt.date) -> None:
    if not EARLIEST <= day < LATEST:
        raise forms.ValidationError(_("Check the year of this date."))


def _date_field(label, required=True) -> forms.DateField:
    return forms.DateField(label=label, required=required, validators=[_check_year],
                           widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


def _time_field(label, required=True) -> forms.TimeField:
    return forms.TimeField(label=label, required=required,
                           widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))


def _moment(day: dt.date | None, clock: dt.time | None, time_zone: str) -> dt.datetime | None:
    """A wall-clock date and time where the business is, as an aware datetime."""
    if day is None or clock is None:
        return None
    return wall_clock(dt.datetime.combine(day, clock), time_zone)


class CountryForm(forms.Form):
    """Which country's contacts to show (a GET form on the playbook and report pages)."""

    country = forms.ChoiceField(label=_("Your country"),
                                choices=[("", _("Choose your country")), *PILOT_COUNTRIES])


class ClockForm(forms.Form):
    """When the business became aware of a personal-data breach, where it is."""

    aware_date = _date_field(_("Date you found out"))
    aware_time = _time_field(_("Time you found out"))
    time_zone = forms.ChoiceField(label=_("Time zone"), widget=LongSelect)

    def __init__(self, *args, language: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.language = language
        self.fields["time_zone"].choices = zone_choices()
        self.clock: Deadline | None = None

    def clean(self):
        data = super().clean()
        day, clock, place = data.get("aware_date"), data.get("aware_time"), data.get("time_zone")
        if day is None or clock is None or not place:
            return data
        try:
            self.clock = deadline(_moment(day, clock, place), place)
        except BreachInputError as error:
            self.add_error(None if error.key == "unknown_zone" else "aware_date",
                           error.message(self.language))
        return data


class DraftForm(forms.Form):
    """The facts of the draft notification to the data protection authority (GDPR Art. 33(3))
    and, when the risk is high, of the letter to the people affected (Art. 34)."""

    business_name = forms.CharField(max_length=SHORT, required=False)
    country = forms.CharField(max_length=SHORT, required=False)
    what_happened = forms.CharField(max_length=TEXT, required=False, widget=forms.Textarea)
    aware_date = _date_field(_("Date you found out"), required=False)
    aware_time = _time_field(_("Time you found out"), required=False)
    occurred_date = _date_field(_("Date it happened, if you know"), required=False)
    occurred_time = _time_field(_("Time it happened, if you know"), required=False)
    time_zone = forms.ChoiceField(label=_("Time zone"), widget=LongSelect)
    ongoing = forms.ChoiceField(choices=YES_NO, required=False)
    data_categories = forms.CharField(
        max_length=TEXT, required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One kind per line, for example: names and addresses, bank details."))
    people_count = forms.CharField(max_length=SHORT, required=False)
    records_count = forms.CharField(max_length=SHORT, required=False)
    likely_consequences = forms.CharField(max_length=TEXT, required=False,
                                          widget=forms.Textarea)
    measures_taken = forms.CharField(max_length=TEXT, required=False, widget=forms.Textarea)
    measures_proposed = forms.CharField(max_length=TEXT, required=False, widget=forms.Textarea)
    contact_name = forms.CharField(max_length=SHORT, required=False)
    contact_role = forms.CharField(max_length=SHORT, required=False)
    contact_email = forms.EmailField(max_length=SHORT, required=False)
    contact_phone = forms.CharField(max_length=60, required=False)
    sensitive_data = forms.ChoiceField(
        label=_("Were health, financial or other sensitive data involved?"),
        choices=YES_NO, required=False)
    high_risk = forms.ChoiceField(
        label=_("Is there a high risk to the people affected?"), choices=YES_NO,
        required=False,
        help_text=_("For example identity theft, fraud, or distress. When it is high, you must "
                    "tell them too (GDPR Art. 34)."))

    # The order the page groups the fields in.
    GROUPS = (
        (_("Your organisation"), ("business_name", "country")),
        (_("When"), ("aware_date", "aware_time", "occurred_date", "occurred_time",
                     "time_zone", "ongoing")),
        (_("The breach"), ("what_happened", "data_categories", "people_count",
                              "records_count", "sensitive_data", "likely_consequences",
                              "high_risk")),
        (_("What you are doing about it"), ("measures_taken", "measures_proposed")),
        (_("Who the authority can contact"), ("contact_name", "contact_role", "contact_email",
                                              "contact_phone")),
    )

    def __init__(self, *args, language: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.language = language
        self.fields["time_zone"].choices = zone_choices()
        labels = words("breach", language)["labels"]
        for name, field in self.fields.items():
            if name in labels:  # the core's wording, the same as in the draft
                field.label = labels[name]
        self.answers: dict[str, Any] | None = None

    def groups(self):
        return [(title, [self[name] for name in names]) for title, names in self.GROUPS]

    def clean(self):
        data = super().clean()
        place = data.get("time_zone")
        if not place:
            return data
        for prefix in ("aware", "occurred"):
            day, clock = data.get(f"{prefix}_date"), data.get(f"{prefix}_time")
            if (day is None) != (clock is None) and f"{prefix}_date" not in self.errors \
                    and f"{prefix}_time" not in self.errors:
                # Half a moment would be silently dropped from the draft: ask for the rest.
                self.add_error(f"{prefix}_time" if clock is None else f"{prefix}_date",
                               _("Give both the date and the time, or neither."))
        if self.errors:
            return data
        answers = self._answers(data, place)
        try:
            validate(answers)
        except BreachInputError as error:
            field = error.fields.get("field")
            target = {"aware_at": "aware_date", "occurred_at": "occurred_date"}.get(
                field, field if field in self.fields else None)
            self.add_error(target, error.message(self.language))
            return data
        self.answers = answers
        return data

    def _answers(self, data: dict[str, Any], place: str) -> dict[str, Any]:
        """The cleaned fields as the core's draft answers (blank ones left out)."""
        texts = ("business_name", "country", "what_happened", "people_count", "records_count",
                 "likely_consequences", "measures_taken", "measures_proposed", "contact_name",
                 "contact_role", "contact_email", "contact_phone")
        answers: dict[str, Any] = {"time_zone": place}
        for name in texts:
            if data.get(name):
                answers[name] = data[name]
        for name in ("ongoing", "sensitive_data", "high_risk"):
            if data.get(name) in _FLAGS:
                answers[name] = _FLAGS[data[name]]
        categories = [line.strip() for line in (data.get("data_categories") or "").splitlines()]
        if any(categories):
            answers["data_categories"] = [line for line in categories if line]
        for key, prefix in (("aware_at", "aware"), ("occurred_at", "occurred")):
            moment = _moment(data.get(f"{prefix}_date"), data.get(f"{prefix}_time"), place)
            if moment is not None:
                answers[key] = moment
        return answers

    def clean_time_zone(self):
        place = self.cleaned_data["time_zone"]
        try:
            zone(place)
        except BreachInputError as error:
            raise forms.ValidationError(error.message(self.language)) from None
        return place
