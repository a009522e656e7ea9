"""`manage.py reconcile_cron`: the scheduler production runs beside the RQ workers.

RQ's CronScheduler enqueues the reconciliation sweep (leadops.jobs.tasks.reconcile) every
JOB_RECONCILE_EVERY seconds. Safe to run on several hosts: the sweep only enqueues
idempotent steps under fixed ids.
"""

from django.conf import settings
from django.core.management.base import BaseCommand
from rq.cron import CronScheduler

from leadops.jobs import tasks
from leadops.jobs.queueing import redis_connection


class Command(BaseCommand):
    help = "Run the reconciliation sweep every JOB_RECONCILE_EVERY seconds (RQ CronScheduler)."

    def handle(self, *args, **options):
        scheduler = CronScheduler(connection=redis_connection())
        scheduler.register(tasks.reconcile, "default", interval=settings.JOB_RECONCILE_EVERY)
        self.stdout.write(
            f"Reconciliation sweep every {settings.JOB_RECONCILE_EVERY}s on queue 'default'"
        )
        scheduler.start()
