"""People: one account per e-mail address, with an optional TOTP second factor (required
for advisors and programme operators)."""

from __future__ import annotations

from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, password=None, **fields):
        if not email:
            raise ValueError("an e-mail address is needed")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **fields):
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class User(AbstractUser):
    username = None
    first_name = None
    last_name = None
    email = models.EmailField(_("e-mail address"), unique=True)
    name = models.CharField(_("name"), max_length=150, blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    # Base32 TOTP secret (RFC 6238); confirmed once the user has typed a code from it.
    totp_secret = models.CharField(max_length=64, blank=True)
    totp_confirmed_at = models.DateTimeField(null=True, blank=True)
    # The last time step accepted, so one code cannot be used twice.
    totp_last_step = models.BigIntegerField(default=0)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    def __str__(self) -> str:
        return self.name or self.email

    @property
    def has_second_factor(self) -> bool:
        return bool(self.totp_secret and self.totp_confirmed_at)


class LoginAttempt(models.Model):
    """One failed step of a sign-in (password or second-factor code), kept in the database
    so the throttle holds across processes and machines. Rows older than a day are pruned."""

    class Stage(models.TextChoices):
        PASSWORD = "password", _("password")
        CODE = "code", _("second-factor code")

    email = models.CharField(max_length=254, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    stage = models.CharField(max_length=16, choices=Stage.choices, default=Stage.PASSWORD)
    at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-at"]


class PageUse(models.Model):
    """One use of an expensive page open to anyone (`web/limits.py`): which limit it counts
    against and from which client, kept in the database so a limit holds across processes
    and machines. Rows older than a day are pruned."""

    limit = models.CharField(max_length=32)
    client = models.CharField(max_length=45)  # an address, or an IPv6 /64's network address
    at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [models.Index(fields=["limit", "client", "at"], name="page_use_lookup")]
