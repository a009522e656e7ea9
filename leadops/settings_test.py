"""Test settings: the real settings plus fast hashing and an isolated embedded Redis.

With DATABASE_URL / REDIS_URL set (CI), tests use those servers; without them, SQLite and an
embedded redis-server started for this test process only.
"""

import os

os.environ.setdefault("DEBUG", "true")

from leadops.settings import *  # noqa: F403
from leadops.settings import VAR_DIR, env

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
WEBHOOK_TOKEN = "test-webhook-token"
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
# Uploads in the test database whatever UPLOAD_STORAGE says in the environment
# (tests/imports/test_storage.py covers the other choices).
UPLOAD_STORAGE = "database"
STORAGES["uploads"] = {"BACKEND": "leadops.imports.storage.DatabaseStorage"}  # noqa: F405

if not env.str("REDIS_URL", default=""):
    from leadops.devserver import start_test_redis

    REDIS_URL = start_test_redis(VAR_DIR / "test-redis")
    for _queue in RQ_QUEUES.values():  # noqa: F405
        _queue["URL"] = REDIS_URL
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not :memory:: the live server's thread and the test's RQ worker write at the
    # same time, and in-memory shared-cache SQLite fails at once with "table is locked"
    # where a file database waits (timeout) for the other writer.
    _test_db = VAR_DIR / f"test-{os.getpid()}.sqlite3"
    DATABASES["default"] = {  # noqa: F405
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": _test_db,
        "TEST": {"NAME": _test_db},
        "OPTIONS": {"timeout": 30, "transaction_mode": "IMMEDIATE"},
    }

# A test-only job kind that exercises the shared job machinery against the real sandbox.
INSTALLED_APPS = [*INSTALLED_APPS, "tests.jobsapp"]  # noqa: F405
JOB_RECONCILE_DELAY = 0.2  # tests look for a lost submission at once
JOB_MISSING_QUEUE_SECONDS = 5  # a queue the provider does not list fails quickly

# Provider calls in tests go to the sandbox a test starts (it sets these); anything else hits
# a closed port and fails fast, never a developer's running `make run` sandbox.
TRACERFY_BASE_URL = "http://127.0.0.1:9/tracerfy/v1/api/"
REAPI_BASE_URL = "http://127.0.0.1:9/reapi/v1/"
CRM_BASE_URL = "http://127.0.0.1:9/crm/v1/"
