"""Plain words for the audit log's actions (the codes stay in the database and exports)."""

from django.utils.translation import gettext_lazy as _

LABELS = {
    "account.created": _("Account created"),
    "account.exported": _("Account data exported"),
    "account.deleted": _("Account deleted"),
    "sign_in": _("Signed in"),
    "sign_in.failed": _("Sign-in failed"),
    "sign_in.throttled": _("Sign-in refused: too many attempts"),
    "sign_out": _("Signed out"),
    "password.changed": _("Password changed"),
    "two_factor.enabled": _("Two-step sign-in turned on"),
    "two_factor.disabled": _("Two-step sign-in turned off"),
    "two_factor.failed": _("Wrong two-step sign-in code"),
    "business.exported": _("Business data exported"),
    "business.deleted": _("Business deleted"),
    # Recorded by the other parts of the platform.
    "business.created": _("Business registered"),
    "member.invited": _("Staff member invited"),
    "member.invitation_cancelled": _("Staff invitation cancelled"),
    "member.joined": _("Staff member joined"),
    "member.removed": _("Staff member removed"),
    "advisor.invited": _("Advisor invited"),
    "advisor.invitation_cancelled": _("Advisor invitation cancelled"),
    "advisor.granted": _("Advisor given access"),
    "advisor.client_added": _("Added as a client by an advisor"),
    "advisor.revoked": _("Advisor's access ended"),
    "advisor.branding_changed": _("Advisor's report branding changed"),
    "domain.added": _("Domain added"),
    "domain.removed": _("Domain removed"),
    "domain.verified": _("Domain ownership verified"),
    "domain.consent_recorded": _("Owner's consent for active checks recorded"),
    "magic_link.created": _("Review link sent"),
    "magic_link.used": _("Review link opened"),
    "magic_link.revoked": _("Review link withdrawn"),
    "review.started": _("Review started"),
    "review.completed": _("Review finished"),
    "answer.checked": _("Answer checked by an advisor"),
    "report.downloaded": _("Report downloaded"),
    "scan.started": _("Outside view started"),
    "scan.finished": _("Outside view finished"),
    "scan.failed": _("Outside view failed"),
    "action.updated": _("Action updated"),
    "action.verified": _("Action verified by a scan"),
    "action.reopened": _("Action reopened by a scan"),
    "role.invited": _("Programme role invited"),
    "role.granted": _("Programme role granted"),
    "role.revoked": _("Programme role removed"),
    "programme.exported": _("Programme data exported"),
}


def label(action: str) -> str:
    """The action in words, or its code for actions other parts record."""
    return str(LABELS.get(action, action))
