"""The forms of the business pages. The profile fields are the catalogue's
(`Catalogue.profile`), asked with the questionnaire's words in the reader's language, so the
web and the CLI ask the same questions the same way."""

from __future__ import annotations

import gettext as system_gettext
import zoneinfo
from functools import cache
from pathlib import Path
from typing import Any

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from ...texts import LANGUAGES, words
from ..reviews.core import catalogue
from ..widgets import LongSelect

# The pilot countries first, in this order; then every ISO 3166-1 country.
PILOT_COUNTRIES = (("GB", _("United Kingdom")), ("PL", _("Poland")), ("ES", _("Spain")),
                   ("IT", _("Italy")), ("RO", _("Romania")))
# Each country's usual time zone, for the owner who leaves "the country's usual" chosen.
PILOT_ZONES = {"GB": "Europe/London", "PL": "Europe/Warsaw", "ES": "Europe/Madrid",
               "IT": "Europe/Rome", "RO": "Europe/Bucharest"}
ZONE_REGIONS = ("Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia",
                "Europe", "Indian", "Pacific")
MULTIPLE = frozenset({"platforms"})  # as the CLI questionnaire: a list, not one of
NAME_LENGTH = 200
SECTOR_LENGTH = 100

# ISO 3166-1 alpha-2 codes and English names (from Debian's iso-codes): "CODE name[=common
# name]". The names are translated with the system's iso-codes catalogues when installed.
_COUNTRIES = (
    "AD Andorra;AE United Arab Emirates;AF Afghanistan;AG Antigua and Barbuda;AI Anguilla;AL "
    "Albania;AM Armenia;AO Angola;AQ Antarctica;AR Argentina;AS American Samoa;AT Austria;AU "
    "Australia;AW Aruba;AX Åland Islands;AZ Azerbaijan;BA Bosnia and Herzegovina;BB "
    "Barbados;BD Bangladesh;BE Belgium;BF Burkina Faso;BG Bulgaria;BH Bahrain;BI Burundi;BJ "
    "Benin;BL Saint Barthélemy;BM Bermuda;BN Brunei Darussalam;BO Bolivia, Plurinational "
    "State of=Bolivia;BQ Bonaire, Sint Eustatius and Saba;BR Brazil;BS Bahamas;BT Bhutan;BV "
    "Bouvet Island;BW Botswana;BY Belarus;BZ Belize;CA Canada;CC Cocos (Keeling) Islands;CD "
    "Congo, The Democratic Republic of the;CF Central African Republic;CG Congo;CH "
    "Switzerland;CI Côte d'Ivoire;CK Cook Islands;CL Chile;CM Cameroon;CN China;CO "
    "Colombia;CR Costa Rica;CU Cuba;CV Cabo Verde;CW Curaçao;CX Christmas Island;CY Cyprus;CZ"
    " Czechia;DE Germany;DJ Djibouti;DK Denmark;DM Dominica;DO Dominican Republic;DZ "
    "Algeria;EC Ecuador;EE Estonia;EG Egypt;EH Western Sahara;ER Eritrea;ES Spain;ET "
    "Ethiopia;FI Finland;FJ Fiji;FK Falkland Islands (Malvinas);FM Micronesia, Federated "
    "States of;FO Faroe Islands;FR France;GA Gabon;GB United Kingdom;GD Grenada;GE Georgia;GF"
    " French Guiana;GG Guernsey;GH Ghana;GI Gibraltar;GL Greenland;GM Gambia;GN Guinea;GP "
    "Guadeloupe;GQ Equatorial Guinea;GR Greece;GS South Georgia and the South Sandwich "
    "Islands;GT Guatemala;GU Guam;GW Guinea-Bissau;GY Guyana;HK Hong Kong;HM Heard Island and"
    " McDonald Islands;HN Honduras;HR Croatia;HT Haiti;HU Hungary;ID Indonesia;IE Ireland;IL "
    "Israel;IM Isle of Man;IN India;IO British Indian Ocean Territory;IQ Iraq;IR Iran, "
    "Islamic Republic of=Iran;IS Iceland;IT Italy;JE Jersey;JM Jamaica;JO Jordan;JP Japan;KE "
    "Kenya;KG Kyrgyzstan;KH Cambodia;KI Kiribati;KM Comoros;KN Saint Kitts and Nevis;KP "
    "Korea, Democratic People's Republic of=North Korea;KR Korea, Republic of=South Korea;KW "
    "Kuwait;KY Cayman Islands;KZ Kazakhstan;LA Lao People's Democratic Republic=Laos;LB "
    "Lebanon;LC Saint Lucia;LI Liechtenstein;LK Sri Lanka;LR Liberia;LS Lesotho;LT "
    "Lithuania;LU Luxembourg;LV Latvia;LY Libya;MA Morocco;MC Monaco;MD Moldova, Republic "
    "of=Moldova;ME Montenegro;MF Saint Martin (French part);MG Madagascar;MH Marshall "
    "Islands;MK North Macedonia;ML Mali;MM Myanmar;MN Mongolia;MO Macao;MP Northern Mariana "
    "Islands;MQ Martinique;MR Mauritania;MS Montserrat;MT Malta;MU Mauritius;MV Maldives;MW "
    "Malawi;MX Mexico;MY Malaysia;MZ Mozambique;NA Namibia;NC New Caledonia;NE Niger;NF "
    "Norfolk Island;NG Nigeria;NI Nicaragua;NL Netherlands;NO Norway;NP Nepal;NR Nauru;NU "
    "Niue;NZ New Zealand;OM Oman;PA Panama;PE Peru;PF French Polynesia;PG Papua New Guinea;PH"
    " Philippines;PK Pakistan;PL Poland;PM Saint Pierre and Miquelon;PN Pitcairn;PR Puerto "
    "Rico;PS Palestine, State of;PT Portugal;PW Palau;PY Paraguay;QA Qatar;RE Réunion;RO "
    "Romania;RS Serbia;RU Russian Federation;RW Rwanda;SA Saudi Arabia;SB Solomon Islands;SC "
    "Seychelles;SD Sudan;SE Sweden;SG Singapore;SH Saint Helena, Ascension and Tristan da "
    "Cunha;SI Slovenia;SJ Svalbard and Jan Mayen;SK Slovakia;SL Sierra Leone;SM San Marino;SN"
    " Senegal;SO Somalia;SR Suriname;SS South Sudan;ST Sao Tome and Principe;SV El "
    "Salvador;SX Sint Maarten (Dutch part);SY Syrian Arab Republic=Syria;SZ Eswatini;TC Turks"
    " and Caicos Islands;TD Chad;TF French Southern Territories;TG Togo;TH Thailand;TJ "
    "Tajikistan;TK Tokelau;TL Timor-Leste;TM Turkmenistan;TN Tunisia;TO Tonga;TR Türkiye;TT "
    "Trinidad and Tobago;TV Tuvalu;TW Taiwan, Province of China=Taiwan;TZ Tanzania, United "
    "Republic of=Tanzania;UA Ukraine;UG Uganda;UM United States Minor Outlying Islands;US "
    "United States;UY Uruguay;UZ Uzbekistan;VA Holy See (Vatican City State);VC Saint Vincent"
    " and the Grenadines;VE Venezuela, Bolivarian Republic of=Venezuela;VG Virgin Islands, "
    "British;VI Virgin Islands, U.S.;VN Viet Nam=Vietnam;VU Vanuatu;WF Wallis and Futuna;WS "
    "Samoa;YE Yemen;YT Mayotte;ZA South Africa;ZM Zambia;ZW Zimbabwe"
)


@cache
def _countries() -> tuple[tuple[str, str, str], ...]:
    """(code, ISO name, name to show in English)."""
    rows = []
    for item in "".join(_COUNTRIES).split(";"):
        code, _space, names = item.partition(" ")
        iso_name, _eq, common = names.partition("=")
        rows.append((code, iso_name, common or iso_name))
    return tuple(rows)


COUNTRY_CODES = frozenset(code for code, _name, _shown in _countries())


@cache
def _iso_translation(language: str):
    return system_gettext.translation("iso_3166-1", languages=[language], fallback=True)


def country_name(code: str, language: str | None = None) -> str:
    language = (language or get_language() or "en").split("-")[0]
    for pilot, name in PILOT_COUNTRIES:
        if pilot == code:
            return str(name)
    for known, iso_name, shown in _countries():
        if known == code:
            translated = _iso_translation(language).gettext(iso_name)
            return shown if translated == iso_name else translated
    return code


def country_choices() -> list:
    language = (get_language() or "en").split("-")[0]
    pilots = [(code, str(name)) for code, name in PILOT_COUNTRIES]
    others = sorted(((code, country_name(code, language)) for code, _n, _s in _countries()
                     if code not in PILOT_ZONES), key=lambda pair: pair[1].casefold())
    return [("", _("Choose a country")), (_("Pilot countries"), pilots),
            (_("All countries"), others)]


def zone_choices() -> list[tuple[str, str]]:
    """Every time zone a business may pick, as choices (for `widgets.LongSelect`)."""
    return [(name, name) for name in time_zones()]


@cache
def time_zones() -> tuple[str, ...]:
    zones = sorted(z for z in zoneinfo.available_timezones()
                   if z.split("/", 1)[0] in ZONE_REGIONS and "/" in z)
    return ("UTC", *zones)


@cache
def _zones_by_country() -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for table in ("zone1970.tab", "zone.tab"):
        for folder in zoneinfo.TZPATH:
            path = Path(folder) / table
            if not path.is_file():
                continue
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.startswith("#") or not line.strip():
                    continue
                fields = line.split("\t")
                if len(fields) >= 3:
                    for code in fields[0].split(","):
                        found.setdefault(code, []).append(fields[2])
            return {code: tuple(zones) for code, zones in found.items()}
    return {}


def usual_time_zone(country: str) -> str:
    """The pilot country's zone, or the only zone of another country; UTC otherwise."""
    if country in PILOT_ZONES:
        return PILOT_ZONES[country]
    zones = _zones_by_country().get(country, ())
    return zones[0] if len(zones) == 1 else "UTC"


def _profile_words(language: str) -> dict[str, Any]:
    language = language if language in LANGUAGES else "en"
    return words("questionnaire", language)


def _label(table: dict, name: str, key: str, fallback: str) -> str:
    value = (table.get("profile") or {}).get(name, {}).get(key)
    return value if isinstance(value, str) else fallback


class BusinessForm(forms.Form):
    """Name, country, time zone, sector and the catalogue's profile fields."""

    name = forms.CharField(label=_("Business name"), max_length=NAME_LENGTH)
    country = forms.ChoiceField(label=_("Country"))
    time_zone = forms.ChoiceField(
        label=_("Time zone"), required=False, widget=LongSelect,
        help_text=_("For reminders and dates. Leave it as it is to use the country's usual "
                    "time zone."))
    sector = forms.CharField(
        label=_("What does the business do?"), max_length=SECTOR_LENGTH, required=False,
        help_text=_("A few words, for example: bakery, accountant, hair salon. Optional."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        language = (get_language() or "en").split("-")[0]
        table = _profile_words(language)
        self.fields["country"].choices = country_choices()
        self.fields["time_zone"].choices = [("", _("The country's usual time zone"))] + [
            (zone, zone.replace("_", " ")) for zone in time_zones()]
        self.profile_fields = []
        yes_no = [("yes", table.get("yes", "Yes")), ("no", table.get("no", "No"))]
        for name, kind in catalogue().profile.items():
            label = _label(table, name, "question", name)
            help_text = _label(table, name, "help", "")
            values = ((table.get("profile") or {}).get(name) or {}).get("values") or {}
            if kind == "number":
                field = forms.IntegerField(label=label, help_text=help_text, min_value=1,
                                           max_value=999_999, required=name == "size")
            elif kind == "yes_no":
                field = forms.ChoiceField(label=label, help_text=help_text, choices=yes_no,
                                          widget=forms.RadioSelect, required=False)
            elif isinstance(kind, tuple):
                choices = [(value, values.get(value, value)) for value in kind]
                if name in MULTIPLE:
                    field = forms.MultipleChoiceField(
                        label=label, help_text=help_text, choices=choices, required=False,
                        widget=forms.CheckboxSelectMultiple)
                else:
                    field = forms.ChoiceField(label=label, help_text=help_text,
                                              choices=choices, widget=forms.RadioSelect,
                                              required=False)
            else:  # a kind this form does not know: free text
                field = forms.CharField(label=label, help_text=help_text, max_length=200,
                                        required=False)
            self.fields[name] = field
            self.profile_fields.append(name)

    def clean_name(self) -> str:
        text = "".join(ch for ch in self.cleaned_data["name"] if ch.isprintable()).strip()
        if not text:
            raise forms.ValidationError(_("Please type the business's name."))
        return text

    def clean_sector(self) -> str:
        return "".join(ch for ch in self.cleaned_data.get("sector", "") if ch.isprintable()) \
            .strip()

    def clean_country(self) -> str:
        code = self.cleaned_data["country"]
        if code not in COUNTRY_CODES:
            raise forms.ValidationError(_("Choose a country from the list."))
        return code

    def clean(self):
        data = super().clean()
        if not data.get("time_zone") and data.get("country"):
            data["time_zone"] = usual_time_zone(data["country"])
        return data

    def profile(self) -> dict[str, Any]:
        """The profile as the core's answers file has it: yes/no as booleans, lists as
        lists, unanswered fields left out."""
        data = self.cleaned_data
        kinds = catalogue().profile
        profile: dict[str, Any] = {}
        for name in self.profile_fields:
            value = data.get(name)
            if value in (None, "", []):
                continue
            profile[name] = value == "yes" if kinds.get(name) == "yes_no" else value
        if data.get("sector"):
            profile["sector"] = data["sector"]
        return profile

    # For the template: the fields in the order they are shown, grouped.
    def basics(self):
        return [self[name] for name in ("name", "country", "time_zone", "sector")]

    def profile_bound_fields(self):
        return [self[name] for name in self.profile_fields]


class DomainForm(forms.Form):
    domain = forms.CharField(
        label=_("Domain"), max_length=300,
        help_text=_("The name in your e-mail addresses and web address, for example "
                    "mybakery.co.uk. You may paste a web address or an e-mail address."))


class ConsentForm(forms.Form):
    consent = forms.CharField(
        label=_("The owner's written consent"), widget=forms.Textarea, max_length=4000,
        help_text=_("Who agreed, when and how (for example: e-mail from the owner of 3 May "
                    "agreeing to an active scan of this domain). It is kept with the domain."))

    def clean_consent(self) -> str:
        text = self.cleaned_data["consent"].strip()
        if not text:
            raise forms.ValidationError(_("Describe the owner's written consent."))
        return text
