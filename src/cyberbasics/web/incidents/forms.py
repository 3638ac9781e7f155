"""Forms of the evidence log and of incidents. Sizes of files are checked in `logs.py`
(with the log's running total), not here, so the message can say what the log holds."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ...incident.breach import wall_clock
from ...incident.evidence import MAX_NAME, MAX_TEXT
from ..businesses.forms import zone_choices
from ..helpnow.forms import EARLIEST, LATEST
from ..widgets import LongSelect
from .models import KINDS

MAX_FILES_PER_ENTRY = 10


def _check_year(day: dt.date) -> None:
    """The breach clock's years (helpnow/forms.py): a date far off cannot be an incident
    anyone is dealing with, and year 1 overflows when moved to UTC for the database."""
    if not EARLIEST <= day < LATEST:
        raise forms.ValidationError(_("Check the year of this date."))


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Any number of files (none too): a list of uploads."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        items = data if isinstance(data, list | tuple) else [data]
        items = [item for item in items if item]
        if len(items) > MAX_FILES_PER_ENTRY:
            raise forms.ValidationError(
                _("At most %(count)s files per entry: add the others in another entry."),
                params={"count": MAX_FILES_PER_ENTRY})
        return [super(MultipleFileField, self).clean(item, initial) for item in items]


class StartLogForm(forms.Form):
    business = forms.CharField(
        label=_("Business name (optional)"), required=False, max_length=MAX_NAME,
        help_text=_("It is printed on the log and sealed into it: it cannot be changed later."))
    time_zone = forms.ChoiceField(
        label=_("Your time zone"), widget=LongSelect,
        help_text=_("Times are recorded in UTC and shown in this zone."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = zone_choices()


class EntryForm(forms.Form):
    recorded_by = forms.CharField(label=_("Who saw it or is writing this down"),
                                  max_length=MAX_NAME)
    text = forms.CharField(
        label=_("What was seen"), max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Facts as you saw them: what appeared on the screen, who called and what "
                    "they said, which account number changed, at what time."))
    files = MultipleFileField(
        label=_("Files or screenshots (optional)"), required=False,
        help_text=_("Each file's SHA-256 fingerprint is recorded in the entry."))


class IncidentForm(forms.Form):
    kind = forms.ChoiceField(label=_("What happened"), choices=KINDS)
    title = forms.CharField(label=_("A short title"), max_length=200,
                            help_text=_("For example: “Ransom note on the reception PC”."))
    aware_date = forms.DateField(label=_("Date you became aware of it"),
                                 validators=[_check_year],
                                 widget=forms.DateInput(attrs={"type": "date"},
                                                        format="%Y-%m-%d"))
    aware_time = forms.TimeField(label=_("Time you became aware of it"),
                                 widget=forms.TimeInput(attrs={"type": "time"},
                                                        format="%H:%M"))
    time_zone = forms.ChoiceField(label=_("Time zone"), widget=LongSelect)

    def __init__(self, *args, time_zone: str = "UTC", **kwargs):
        now = timezone.now().astimezone(_zone(time_zone))
        kwargs.setdefault("initial", {"time_zone": time_zone, "aware_date": now.date(),
                                      "aware_time": now.time().replace(second=0,
                                                                       microsecond=0)})
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = zone_choices()

    def clean(self):
        data = super().clean()
        day, clock, place = data.get("aware_date"), data.get("aware_time"), data.get("time_zone")
        if day and clock and place:
            moment = wall_clock(dt.datetime.combine(day, clock), place)
            if moment > timezone.now() + dt.timedelta(minutes=5):
                self.add_error("aware_date", _("This is in the future."))
            data["became_aware_at"] = moment
        return data


class MoveForm(IncidentForm):
    """Keep an anonymous log in one of the signed-in person's businesses."""

    business = forms.TypedChoiceField(label=_("Business"), coerce=int)

    field_order = ["business", "kind", "title", "aware_date", "aware_time", "time_zone"]

    def __init__(self, *args, businesses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["business"].choices = [(b.pk, b.name) for b in businesses]
        # The log's own time zone is sealed in it; the incident takes the same.
        del self.fields["time_zone"]

    def clean(self):
        self.cleaned_data.setdefault("time_zone", self.initial.get("time_zone", "UTC"))
        return super().clean()


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError, OSError):
        return ZoneInfo("UTC")
