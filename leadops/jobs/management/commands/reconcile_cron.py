"""`manage.py reconcile_cron`: the scheduler production runs beside the RQ workers.

RQ's CronScheduler enqueues the reconciliation sweep (leadops.jobs.tasks.reconcile) every
JOB_RECONCILE_EVERY seconds, and the webhook sweep (leadops.webhooks.tasks.sweep), which
queues a drain for events that waited too long, and the search index's sweep
(leadops.search.tasks.sweep), which queues finished jobs not yet indexed. Safe to run on
several hosts: the sweeps only enqueue idempotent steps under fixed ids.
"""

from django.conf import settings
from django.core.management.base import BaseCommand
from rq.cron import CronScheduler

from leadops.jobs import tasks
from leadops.jobs.queueing import redis_connection
from leadops.search import tasks as search_tasks
from leadops.webhooks import tasks as webhook_tasks


class Command(BaseCommand):
    help = "Run the reconciliation sweep every JOB_RECONCILE_EVERY seconds (RQ CronScheduler)."

    def handle(self, *args, **options):
        scheduler = CronScheduler(connection=redis_connection())
        every = settings.JOB_RECONCILE_EVERY
        scheduler.register(tasks.reconcile, "default", interval=every)
        scheduler.register(webhook_tasks.sweep, "webhooks", interval=every)
        scheduler.register(search_tasks.sweep, "low", interval=every)
        self.stdout.write(
            f"Reconciliation sweep every {every}s on queue 'default'; "
            f"webhook backlog sweep every {every}s on queue 'webhooks'; "
            f"search index sweep every {every}s on queue 'low'"
        )
        scheduler.start()
