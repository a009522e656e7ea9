"""gunicorn's settings for LeadOps (`gunicorn` run from the repository root reads this file;
elsewhere `gunicorn -c /srv/leadops/gunicorn.conf.py`). Environment variables tune it.

Sync workers, 2 x cores + 1 of them, behind a buffering reverse proxy (nginx or the platform's
load balancer), as gunicorn's documentation advises. Measured on a 2-core host (make bench):

- Pages are CPU-bound Python (30-45 ms of CPU for a 50-row table page). A sync worker takes a
  connection only when it is idle, so the kernel hands each request to a free process and
  both cores work. gthread workers keep each keep-alive connection in the process that
  accepted it, where threads share one GIL: with 4 clients, two gthread workers served ~26
  pages/s (about one core) and a page waited 250 ms at p95; five sync workers served ~50
  pages/s at 112 ms. gthread's poller thread also cost a few ms of CPU per page.
- Webhooks: the intake is a plain WSGI function (leadops.webhooks.intake), one INSERT and one
  Redis command. Without keep-alive, a connection per event, five sync workers took
  ~1,500 events/s at p99 30 ms (gthread with keep-alive: ~1,550/s).
- `timeout`: a sync worker busy past it is restarted. Exports stream from the request (a
  100,000-row CSV takes well under a minute), so it is 120 s, not gunicorn's 30.
"""

import os

wsgi_app = "leadops.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", str(2 * (os.cpu_count() or 1) + 1)))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
# Keeps the webhook token out of the access log (leadops.logmasking).
logger_class = "leadops.logmasking.GunicornLogger"
