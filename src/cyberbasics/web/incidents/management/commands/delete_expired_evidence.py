"""`delete_expired_evidence`: delete the anonymous evidence logs kept past their time now."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from ...cleanup import delete_expired_logs, schedule_daily_cleanup


class Command(BaseCommand):
    help = "Delete anonymous evidence logs (and their files) whose time is up."

    def add_arguments(self, parser):
        parser.add_argument("--schedule", action="store_true",
                            help="also queue the daily cleanup task for the next 03:00 UTC")

    def handle(self, *args, **options):
        deleted = delete_expired_logs()
        self.stdout.write(f"{deleted} expired evidence log(s) deleted")
        if options["schedule"]:
            queued = schedule_daily_cleanup()
            self.stdout.write("daily cleanup queued" if queued is not None
                              else "daily cleanup was already queued")
