"""`send_reminders`: e-mail the reminders of actions due today (or on --date) now."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from ...reminders import schedule_daily_reminders, send_reminders


class Command(BaseCommand):
    help = "E-mail each assignee (or the owners) about actions due today or overdue."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="the day to send for, YYYY-MM-DD (default: today, "
                                           "UTC)")
        parser.add_argument("--schedule", action="store_true",
                            help="also queue the daily task for the next 07:00 UTC")

    def handle(self, *args, **options):
        day = None
        if options["date"]:
            try:
                day = dt.date.fromisoformat(options["date"])
            except ValueError:
                raise CommandError(f"--date: {options['date']!r} is not YYYY-MM-DD") from None
        sent = send_reminders(day)
        self.stdout.write(f"{sent} reminder e-mail(s) sent")
        if options["schedule"]:
            queued = schedule_daily_reminders()
            self.stdout.write("daily reminders queued" if queued is not None
                              else "daily reminders were already queued")
