"""Accounts: sign-up, sign-in by e-mail and password, sign-out, the settings page (name,
language, password), login throttling across processes, and the admin for users and the
audit log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from cyberbasics.web.accounts import throttle
from cyberbasics.web.accounts.models import LoginAttempt, User
from cyberbasics.web.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    # Argon2 is the real hasher (test_security_headers proves it); these tests hash a lot.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_user(email="olive@example.com", password=PASSWORD, **fields) -> User:
    return User.objects.create_user(email, password, **fields)


def sign_in(client, email, password=PASSWORD, **extra):
    return client.post(reverse("accounts:sign-in"), {"email": email, "password": password},
                       **extra)


def actions(action=None):
    events = AuditEvent.objects.all()
    if action:
        events = events.filter(action=action)
    return list(events.values_list("action", flat=True))


def after_sign_up_url() -> str:
    try:
        return reverse("businesses:register")
    except NoReverseMatch:
        return reverse("businesses:home")


# --- sign-up -----------------------------------------------------------------------------

def test_sign_up_page_is_public_with_labelled_password_manager_fields(client):
    response = client.get(reverse("accounts:sign-up"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'autocomplete="email"' in html
    assert html.count('autocomplete="new-password"') == 2
    for name in ("email", "name", "password1", "password2"):
        assert f'<label for="id_{name}"' in html


def test_sign_up_creates_the_account_signs_in_and_logs_it(client):
    response = client.post(reverse("accounts:sign-up"), {
        "email": "New.Owner@Example.com", "name": "Nina Owner",
        "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == after_sign_up_url()
    user = User.objects.get()
    assert user.email == "new.owner@example.com" and user.name == "Nina Owner"
    assert user.check_password(PASSWORD)
    assert int(client.session["_auth_user_id"]) == user.pk
    event = AuditEvent.objects.get(action="account.created")
    assert event.actor == user and event.actor_label == user.email
    # Signed in: a private page answers.
    assert client.get(reverse("accounts:settings")).status_code == 200


@pytest.mark.parametrize(("password1", "password2", "message"), [
    (PASSWORD, PASSWORD + "x", "The two passwords are not the same."),
    ("short1", "short1", "too short"),
    ("password1234", "password1234", "too common"),
    ("4839201938475", "4839201938475", "entirely numeric"),
])
def test_sign_up_refuses_weak_or_mismatched_passwords(client, password1, password2, message):
    response = client.post(reverse("accounts:sign-up"), {
        "email": "weak@example.com", "name": "Wendy", "password1": password1,
        "password2": password2})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.exists()
    assert "_auth_user_id" not in client.session


def test_sign_up_refuses_a_password_like_the_email(client):
    response = client.post(reverse("accounts:sign-up"), {
        "email": "bartholomew.smithers@example.com", "name": "Bart",
        "password1": "bartholomew.smithers", "password2": "bartholomew.smithers"})
    assert "too similar" in response.content.decode()
    assert not User.objects.exists()


def test_sign_up_refuses_an_address_already_used(client):
    make_user("taken@example.com")
    response = client.post(reverse("accounts:sign-up"), {
        "email": "TAKEN@example.com", "name": "Tom", "password1": PASSWORD,
        "password2": PASSWORD})
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert User.objects.count() == 1


def test_sign_up_when_signed_in_goes_to_the_dashboard(client):
    client.force_login(make_user())
    response = client.get(reverse("accounts:sign-up"))
    assert response.headers["Location"] == reverse("businesses:home")


# --- sign-in and sign-out ----------------------------------------------------------------

def test_sign_in_page_has_labelled_fields(client):
    html = client.get(reverse("accounts:sign-in")).content.decode()
    assert 'autocomplete="email"' in html and 'autocomplete="current-password"' in html
    assert '<label for="id_email"' in html and '<label for="id_password"' in html


def test_sign_in_with_email_and_password(client):
    user = make_user()
    response = sign_in(client, "OLIVE@example.com")
    assert response.status_code == 302
    assert response.headers["Location"] == reverse("businesses:home")
    assert int(client.session["_auth_user_id"]) == user.pk
    event = AuditEvent.objects.get(action="sign_in")
    assert event.actor == user and event.ip == "127.0.0.1"
    assert event.detail == {"second_factor": False}


def test_sign_in_goes_to_a_safe_next_page_only(client):
    make_user()
    response = client.post(reverse("accounts:sign-in") + "?next=/accounts/settings/",
                           {"email": "olive@example.com", "password": PASSWORD})
    assert response.headers["Location"] == "/accounts/settings/"
    client.post(reverse("accounts:sign-out"))
    response = client.post(reverse("accounts:sign-in") + "?next=https://evil.example/",
                           {"email": "olive@example.com", "password": PASSWORD})
    assert response.headers["Location"] == reverse("businesses:home")


def test_wrong_password_and_unknown_address_get_the_same_answer(client):
    make_user()
    wrong = sign_in(client, "olive@example.com", "not the password")
    unknown = sign_in(client, "nobody@example.com", "not the password")
    assert wrong.status_code == unknown.status_code == 200
    message = "That e-mail address and password do not match an account."
    assert message in wrong.content.decode() and message in unknown.content.decode()
    assert "_auth_user_id" not in client.session
    assert actions("sign_in.failed") == ["sign_in.failed"] * 2
    assert AuditEvent.objects.filter(action="sign_in.failed", actor__isnull=False).count() == 0


def test_an_inactive_account_cannot_sign_in(client):
    make_user(is_active=False)
    sign_in(client, "olive@example.com")
    assert "_auth_user_id" not in client.session


def test_sign_in_applies_the_saved_language(client):
    make_user(language="pl")
    response = sign_in(client, "olive@example.com")
    cookie = response.cookies[django_settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "pl"
    page = client.get(reverse("accounts:settings"))
    assert '<html lang="pl">' in page.content.decode()


def test_sign_out_is_post_only_and_logged(client):
    user = make_user()
    client.force_login(user)
    assert client.get(reverse("accounts:sign-out")).status_code == 405
    assert "_auth_user_id" in client.session
    response = client.post(reverse("accounts:sign-out"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.get(action="sign_out").actor == user


# --- throttling --------------------------------------------------------------------------

def fail(client, email, times, ip="127.0.0.1"):
    for _ in range(times):
        sign_in(client, email, "wrong password", REMOTE_ADDR=ip)


def age_attempts(minutes):
    for attempt in LoginAttempt.objects.all():
        attempt.at -= timedelta(minutes=minutes)
        attempt.save()


def test_five_failures_lock_the_address_for_fifteen_minutes(client, django_user_model):
    make_user()
    fail(client, "olive@example.com", throttle.PER_EMAIL)
    assert LoginAttempt.objects.filter(email="olive@example.com").count() == 5
    # Even the right password is refused now, with a message that names no account.
    response = sign_in(client, "olive@example.com")
    assert response.status_code == 429
    assert "Too many sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert actions("sign_in.throttled") == ["sign_in.throttled"]
    # Refused attempts do not extend the lock.
    assert LoginAttempt.objects.count() == 5
    # Another address is not affected.
    make_user("other@example.com")
    assert sign_in(client, "other@example.com").status_code == 302
    client.post(reverse("accounts:sign-out"))
    # 14 minutes on: still locked; 15 minutes on: open again.
    age_attempts(14)
    assert sign_in(client, "olive@example.com").status_code == 429
    age_attempts(1)
    assert sign_in(client, "olive@example.com").status_code == 302


def test_four_failures_do_not_lock(client):
    make_user()
    fail(client, "olive@example.com", throttle.PER_EMAIL - 1)
    assert sign_in(client, "olive@example.com").status_code == 302
    # A complete sign-in forgets the failures.
    assert not LoginAttempt.objects.filter(email="olive@example.com").exists()


def test_failures_spread_over_more_than_the_window_do_not_lock(client):
    make_user()
    fail(client, "olive@example.com", 3)
    age_attempts(16)
    fail(client, "olive@example.com", 2)
    assert sign_in(client, "olive@example.com").status_code == 302


def test_an_unknown_address_is_locked_the_same_way(client):
    fail(client, "ghost@example.com", throttle.PER_EMAIL)
    response = sign_in(client, "ghost@example.com")
    assert response.status_code == 429
    assert "Too many sign-in attempts" in response.content.decode()


def test_twenty_failures_from_one_address_lock_that_ip(client):
    make_user()
    for number in range(throttle.PER_IP):
        sign_in(client, f"guess{number}@example.com", "wrong", REMOTE_ADDR="203.0.113.9")
    assert sign_in(client, "olive@example.com", REMOTE_ADDR="203.0.113.9").status_code == 429
    assert sign_in(client, "olive@example.com", REMOTE_ADDR="198.51.100.7").status_code == 302


def test_the_lock_is_in_the_database_so_every_process_sees_it(client, django_user_model):
    from django.test import Client

    make_user()
    fail(client, "olive@example.com", throttle.PER_EMAIL)
    # A new client (another browser, another worker process) is refused too.
    assert sign_in(Client(), "olive@example.com").status_code == 429
    assert throttle.is_locked("olive@example.com", None)


def test_old_attempts_are_pruned(client):
    LoginAttempt.objects.create(email="old@example.com", ip=None,
                                at=timezone.now() - timedelta(days=2))
    fail(client, "new@example.com", 1)
    assert list(LoginAttempt.objects.values_list("email", flat=True)) == ["new@example.com"]


# --- settings ----------------------------------------------------------------------------

def test_settings_need_a_sign_in(client):
    response = client.get(reverse("accounts:settings"))
    assert response.status_code == 302
    assert response.headers["Location"].startswith(reverse("accounts:sign-in"))


def test_settings_page_shows_the_forms(client):
    client.force_login(make_user())
    response = client.get(reverse("accounts:settings"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'autocomplete="current-password"' in html
    assert html.count('autocomplete="new-password"') == 2
    assert reverse("privacy:account-export") in html
    assert reverse("privacy:account-delete") in html
    assert reverse("accounts:two-factor-setup") in html


def test_saving_the_language_sets_the_cookie(client):
    user = make_user()
    client.force_login(user)
    response = client.post(reverse("accounts:settings"),
                           {"action": "profile", "name": "Olive O.", "language": "es"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.name, user.language) == ("Olive O.", "es")
    assert response.cookies[django_settings.LANGUAGE_COOKIE_NAME].value == "es"
    response = client.post(reverse("accounts:settings"),
                           {"action": "profile", "name": "Olive O.", "language": "xx"})
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    user.refresh_from_db()
    assert user.language == "es"


def test_changing_the_password(client):
    user = make_user()
    client.force_login(user)
    url = reverse("accounts:settings")
    response = client.post(url, {"action": "password", "old_password": "wrong",
                                 "new_password1": "a brand new passphrase",
                                 "new_password2": "a brand new passphrase"})
    assert "old password was entered incorrectly" in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    response = client.post(url, {"action": "password", "old_password": PASSWORD,
                                 "new_password1": "a brand new passphrase",
                                 "new_password2": "a brand new passphrase"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a brand new passphrase")
    # Still signed in after the change, and the change is logged.
    assert client.get(url).status_code == 200
    assert AuditEvent.objects.get(action="password.changed").actor == user


# --- admin -------------------------------------------------------------------------------

@pytest.fixture
def admin_client_(client):
    admin = User.objects.create_superuser("admin@example.com", PASSWORD)
    client.force_login(admin)
    return client


def test_audit_events_are_read_only_in_the_admin(admin_client_):
    event = AuditEvent.objects.create(action="sign_in", actor_label="x@example.com")
    client = admin_client_
    assert client.get(reverse("admin:audit_auditevent_changelist")).status_code == 200
    assert client.get(reverse("admin:audit_auditevent_add")).status_code == 403
    page = client.get(reverse("admin:audit_auditevent_change", args=[event.pk]))
    assert page.status_code == 200 and b'name="_save"' not in page.content
    assert client.post(reverse("admin:audit_auditevent_change", args=[event.pk]),
                       {"action": "changed"}).status_code == 403
    assert client.get(reverse("admin:audit_auditevent_delete", args=[event.pk])) \
        .status_code == 403
    event.refresh_from_db()
    assert event.action == "sign_in"


def test_users_are_managed_by_email_in_the_admin(admin_client_):
    client = admin_client_
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 200
    assert client.get(reverse("admin:accounts_user_add")).status_code == 200
    response = client.post(reverse("admin:accounts_user_add"), {
        "email": "made@example.com", "name": "Made", "usable_password": "true",
        "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:3000]
    made = User.objects.get(email="made@example.com")
    page = client.get(reverse("admin:accounts_user_change", args=[made.pk]))
    assert page.status_code == 200
    made.totp_secret = "JBSWY3DPEHPK3PXP"
    made.save()
    page = client.get(reverse("admin:accounts_user_change", args=[made.pk]))
    assert b"JBSWY3DPEHPK3PXP" not in page.content


def test_admin_can_reset_a_lost_second_factor(admin_client_):
    user = make_user(totp_secret="JBSWY3DPEHPK3PXP", totp_confirmed_at=timezone.now())
    response = admin_client_.post(reverse("admin:accounts_user_changelist"), {
        "action": "reset_second_factor", "_selected_action": [user.pk]})
    assert response.status_code == 302
    user.refresh_from_db()
    assert not user.has_second_factor and user.totp_secret == ""
    event = AuditEvent.objects.get(action="two_factor.disabled")
    assert event.detail == {"target": user.email, "by_admin": True}
