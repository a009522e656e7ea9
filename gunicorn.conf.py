"""gunicorn's settings for LeadOps (`gunicorn` run from the repository root reads this file;
elsewhere `gunicorn -c /srv/leadops/gunicorn.conf.py`). Environment variables tune it.

Sized for a small host (2 cores) serving pages and provider webhooks: gthread workers keep
HTTP/1.1 connections alive, so a provider (or the reverse proxy) sending a burst of webhooks
pays one TCP handshake, not one per event; a few threads per worker overlap the database and
Redis round trips of concurrent requests. bench/webhooks.py measures it.
"""

import os

wsgi_app = "leadops.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# Longer than a provider's (or the proxy's) idle wait between two calls of a burst.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "75"))
# Keeps the webhook token out of the access log (leadops.logmasking).
logger_class = "leadops.logmasking.GunicornLogger"
