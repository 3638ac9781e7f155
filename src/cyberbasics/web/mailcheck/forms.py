"""The message form (paste or upload, a few optional facts about the receiver) and the
business's receiving-side settings. Every problem is said in words a person can act on."""

from __future__ import annotations

import re

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ...protocols.psl import organisational_domain

MAX_MESSAGE_BYTES = 2 * 1024 * 1024
MAX_NAMES = 10
_SEPARATORS = re.compile(r"[\s,;]+")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_AUTHSERV_ID = re.compile(r"^[A-Za-z0-9._-]{1,253}$")


def host_name(text: str) -> str | None:
    """`text` as a lower-case ASCII host name (IDNA), or None when it is not one."""
    import idna

    name = text.strip().rstrip(".").lower()
    if "@" in name:  # an e-mail address names its domain
        name = name.rpartition("@")[2]
    try:
        name = idna.encode(name, uts46=True, transitional=False).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError):
        return None
    labels = name.split(".")
    if len(name) > 253 or len(labels) < 2 or not all(_LABEL.match(x) for x in labels):
        return None
    if labels[-1].isdigit():  # an IP address is not a host name here
        return None
    return name


def _names(text: str) -> list[str]:
    return [part for part in _SEPARATORS.split(text or "") if part]


def _clean_each(text: str, clean_one) -> tuple[str, ...]:
    """At most MAX_NAMES names, each through `clean_one` (which raises for a bad one),
    without repeats."""
    names = _names(text)
    if len(names) > MAX_NAMES:
        raise forms.ValidationError(_("Give at most %(count)d names.") % {"count": MAX_NAMES})
    return tuple(dict.fromkeys(clean_one(name) for name in names))


def _refuse(message: str, name: str) -> forms.ValidationError:
    return forms.ValidationError(message % {"name": name[:100]})


def _host(name: str) -> str:
    host = host_name(name)
    if host is None:
        raise _refuse(_("“%(name)s” is not a domain or host name (such as example.com)."), name)
    return host


def _sealer(name: str) -> str:
    domain = host_name(name)
    if domain is None:
        raise _refuse(_("“%(name)s” is not a domain name. Give the domain of the forwarding "
                        "service or mailing list, such as lists.example.com."), name)
    if organisational_domain(domain) is None:
        raise _refuse(_("“%(name)s” is shared by many unrelated owners. Give the domain of the "
                        "forwarding service or mailing list itself, such as "
                        "lists.example.com."), name)
    return domain


def _authserv_id(name: str) -> str:
    if not _AUTHSERV_ID.match(name):
        raise _refuse(_("“%(name)s” is not a server name as Authentication-Results headers "
                        "write it (such as mx.example.com)."), name)
    return name.lower()


def clean_host_names(text: str) -> tuple[str, ...]:
    return _clean_each(text, _host)


def clean_sealer_domains(text: str) -> tuple[str, ...]:
    """The forwarders and mailing lists whose ARC seal the business trusts. The core trusts a
    sealer by its registrable domain, so a public suffix (co.uk) would trust no one: said."""
    return _clean_each(text, _sealer)


def clean_authserv_ids(text: str) -> tuple[str, ...]:
    return _clean_each(text, _authserv_id)


class _ReceiverFields:
    """Cleaning of the three receiving-side settings, for the check form's advisor fields and
    the business's settings form alike."""

    def clean_mx_hosts(self) -> tuple[str, ...]:
        return clean_host_names(self.cleaned_data.get("mx_hosts", ""))

    def clean_trusted_authserv_ids(self) -> tuple[str, ...]:
        return clean_authserv_ids(self.cleaned_data.get("trusted_authserv_ids", ""))

    def clean_trusted_arc_sealers(self) -> tuple[str, ...]:
        return clean_sealer_domains(self.cleaned_data.get("trusted_arc_sealers", ""))


class MessageForm(forms.Form):
    source = forms.CharField(
        label=gettext_lazy("The message's source"), required=False, strip=False,
        widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "false",
                                     "autocapitalize": "off", "autocomplete": "off"}),
        help_text=gettext_lazy("Paste the whole message, or at least all its headers."))
    upload = forms.FileField(
        label=gettext_lazy("Or choose a saved message (.eml)"), required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".eml,.txt,message/rfc822,text/plain"}),
        help_text=gettext_lazy("At most 2 MB."))
    own_domains = forms.CharField(
        label=gettext_lazy("Your domains (optional)"), required=False, max_length=2000,
        help_text=gettext_lazy("The domains your business's e-mail addresses end in, such as "
                               "example.com, separated by spaces. Lookalikes of them are "
                               "flagged."))

    def clean_own_domains(self) -> tuple[str, ...]:
        return clean_host_names(self.cleaned_data.get("own_domains", ""))

    def clean(self):
        data = super().clean()
        source = data.get("source") or ""
        upload = data.get("upload")
        if upload and source.strip():
            raise forms.ValidationError(
                _("Paste the message or choose a file, not both."), code="both")
        if upload:
            if upload.size > MAX_MESSAGE_BYTES:
                self.add_error("upload", _(
                    "This file is %(size)s; the checker reads messages of at most 2 MB. "
                    "Save the message without its attachments, or paste only its headers.")
                    % {"size": _megabytes(upload.size)})
                return data
            data["message_bytes"] = upload.read()
        elif source.strip():
            encoded = source.encode("utf-8")
            if len(encoded) > MAX_MESSAGE_BYTES:
                self.add_error("source", _(
                    "This text is %(size)s; the checker reads messages of at most 2 MB. "
                    "Paste only the message's headers.") % {"size": _megabytes(len(encoded))})
                return data
            data["message_bytes"] = encoded
        else:
            raise forms.ValidationError(
                _("Paste the message's source or choose a .eml file."), code="empty")
        return data


SEALERS_HELP = gettext_lazy(
    "Forwarding services and mailing lists you use (e.g. your list provider): their "
    "forwarding record may explain why a genuine message failed its sender's check. Anyone "
    "can add such a record, so only list services you use.")


class ReceiverForm(_ReceiverFields, MessageForm):
    """The public form: the receiving side can be described for this one check."""

    mx_hosts = forms.CharField(
        label=gettext_lazy("Your receiving mail servers (optional)"), required=False,
        max_length=2000,
        help_text=gettext_lazy("Host names in the Received headers your own mail service adds, "
                               "such as mx.google.com. Headers below them are not trusted."))
    trusted_authserv_ids = forms.CharField(
        label=gettext_lazy("Servers whose Authentication-Results you trust (optional)"),
        required=False, max_length=2000,
        help_text=gettext_lazy("Usually the same names, such as mx.google.com."))
    trusted_arc_sealers = forms.CharField(
        label=gettext_lazy("Forwarding services and mailing lists you use (optional)"),
        required=False, max_length=2000, help_text=SEALERS_HELP)


class MailSettingsForm(_ReceiverFields, forms.Form):
    mx_hosts = forms.CharField(
        label=gettext_lazy("Receiving mail servers"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false",
                                     "autocapitalize": "off"}),
        help_text=gettext_lazy("One per line: the host names in the Received header your own "
                               "mail service adds (for Google Workspace mx.google.com). "
                               "Headers below it could have been written by the sender and "
                               "are not trusted. Empty: the topmost Received header."))
    trusted_authserv_ids = forms.CharField(
        label=gettext_lazy("Servers whose Authentication-Results you trust"), required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false",
                                     "autocapitalize": "off"}),
        help_text=gettext_lazy("One per line, as your mail service writes it at the start of "
                               "its Authentication-Results header (for Google Workspace "
                               "mx.google.com)."))
    trusted_arc_sealers = forms.CharField(
        label=gettext_lazy("Forwarding services and mailing lists you use"), required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false",
                                     "autocapitalize": "off"}),
        help_text=format_lazy("{} {}", gettext_lazy("One domain per line."), SEALERS_HELP))


def _megabytes(size: int) -> str:
    return _("%(size).1f MB") % {"size": size / (1024 * 1024)}
