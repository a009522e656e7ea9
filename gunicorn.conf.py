"""gunicorn's settings for LeadOps (`gunicorn` run from the repository root reads this file;
elsewhere `gunicorn -c /srv/leadops/gunicorn.conf.py`). Environment variables tune it.

Two kinds of traffic want two kinds of workers, so the file serves two roles
(`GUNICORN_ROLE`), both with the same application (leadops.wsgi):

- `web` (the default): sync workers, 2 x cores + 1, behind a buffering reverse proxy (nginx or
  the platform's load balancer), as gunicorn's documentation advises. Pages are CPU-bound
  Python (30-45 ms of CPU for a 50-row table page). A sync worker takes a connection only
  when it is idle, so each request goes to a free process and every core works. gthread
  workers keep a keep-alive connection in the process that accepted it, where threads share
  one GIL: on 2 cores with 4 clients, two gthread workers served ~26 pages/s (one core's
  worth) at p95 250 ms; five sync workers ~50 pages/s at p95 112 ms (make bench). `timeout`
  is 120 s, not gunicorn's 30: exports stream from the request.
- `webhooks`: gthread workers (3 x 4 threads) that keep HTTP/1.1 connections alive (75 s),
  for the providers' calls. The intake (leadops.webhooks.intake) is one INSERT and one Redis
  command; what costs is the connection: kept alive, ~0.8 ms of server CPU an event and
  ~1,500 events/s on 2 cores; a connection per event (sync) ~1.6 ms and ~760/s. Run it as a
  second gunicorn (`GUNICORN_ROLE=webhooks GUNICORN_BIND=127.0.0.1:8001 gunicorn`) and let
  the proxy send `/webhooks/` to it, keeping its own connections alive. A small install may
  skip it: the `web` role serves `/webhooks/` too, far above the 50 events a second providers
  document.
"""

import os

ROLE = os.environ.get("GUNICORN_ROLE", "web")
if ROLE not in ("web", "webhooks"):
    raise RuntimeError(f"GUNICORN_ROLE must be web or webhooks, not {ROLE!r}")

wsgi_app = "leadops.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Keeps the webhook token out of the access log (leadops.logmasking).
logger_class = "leadops.logmasking.GunicornLogger"

if ROLE == "web":
    workers = int(os.environ.get("WEB_CONCURRENCY", str(2 * (os.cpu_count() or 1) + 1)))
    worker_class = "sync"
    timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
else:
    workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
    worker_class = "gthread"
    threads = int(os.environ.get("GUNICORN_THREADS", "4"))
    # Longer than a provider's (or the proxy's) idle wait between two calls of a burst.
    keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "75"))
