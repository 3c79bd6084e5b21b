"""SmilePay settings: everything comes from the environment, with defaults that work.

With no variable set you get the embedded default: a SQLite file in the project folder,
Celery running tasks eagerly, the in-memory channel layer, a local-memory cache, the
console SMS backend, and secrets generated into `.local/secrets.json`.
DATABASE_URL and REDIS_URL switch to PostgreSQL and Redis. Every variable is listed,
with a line of explanation, in `.env.example`.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from smilepay.env import env_bool, env_float, env_int, env_list, env_probability, env_str
from smilepay.local_secrets import load_local_secrets

BASE_DIR = Path(__file__).resolve().parent.parent
LOCAL_DIR = Path(env_str("SMILEPAY_LOCAL_DIR", str(BASE_DIR / ".local")))

_local = load_local_secrets(LOCAL_DIR / "secrets.json")


def _secret(name: str) -> str:
    """A secret from the environment, else the locally generated one."""
    return env_str(name) or _local[name]


SECRET_KEY = _secret("SECRET_KEY")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "channels",
    "smilepay.apps.SmilePayConfig",
    "accounts",
    "merchants",
    "payments",
    "kiosk",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    # Below WhiteNoise: dynamic answers only, static files keep their cache.
    "smilepay.private_responses.NoStoreByDefaultMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language: the cookie the switcher sets, else the browser's Accept-Language.
    "django.middleware.locale.LocaleMiddleware",
    "smilepay.admin_language.AdminInEnglishMiddleware",
    # Times on pages in the reader's zone (the browser's, from a cookie).
    "smilepay.viewer_time_zone.ViewerTimeZoneMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Innermost: a view that fails because Redis or PostgreSQL is down answers 503.
    "smilepay.outage_middleware.OutageMiddleware",
]

ROOT_URLCONF = "smilepay.urls"
WSGI_APPLICATION = "smilepay.wsgi.application"
ASGI_APPLICATION = "smilepay.asgi.application"

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
                "smilepay.navigation.navigation",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
# Under ASGI every request runs its sync code in a thread of its own, and Django keeps a
# connection per thread: a kept-open connection (CONN_MAX_AGE > 0) outlives its thread
# and leaks. So each request closes its connection (0), and a pool of at most
# DATABASE_POOL_MAX_SIZE connections per process bounds how many a burst opens at once.
DATABASE_POOL_MAX_SIZE = env_int("DATABASE_POOL_MAX_SIZE", 8)
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            conn_max_age=0 if DATABASE_POOL_MAX_SIZE else env_int("DATABASE_CONN_MAX_AGE", 0),
        )
    }
    # A row lock held too long (a stuck transaction, an operator's psql) fails a request
    # after this long, answered 503 with Retry-After, instead of piling every request
    # that needs the row onto it until the pool runs dry. 0: wait forever.
    DATABASE_LOCK_TIMEOUT_MS = env_int("DATABASE_LOCK_TIMEOUT_MS", 10_000)
    if DATABASES["default"]["ENGINE"].endswith("postgresql") and DATABASE_LOCK_TIMEOUT_MS:
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
            f"-c lock_timeout={DATABASE_LOCK_TIMEOUT_MS}"
        )
    if DATABASE_POOL_MAX_SIZE and DATABASES["default"]["ENGINE"].endswith("postgresql"):
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": 1,
            "max_size": DATABASE_POOL_MAX_SIZE,
            # A request waits this long for a free connection before it fails.
            "timeout": env_int("DATABASE_POOL_TIMEOUT_SECONDS", 20),
        }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            # Web requests and eager tasks share one file: wait for a lock, don't fail.
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: Celery broker, channel layer and cache --------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "smilepay",
            # A Redis that accepts and never answers must fail a request, not hang it.
            "OPTIONS": {"socket_connect_timeout": 3, "socket_timeout": 5},
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # redis-py 8 times reads out at 5 s, exactly when channels_redis's 5 s blocking
            # receive answers: without more room every idle websocket dies now and then.
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "socket_timeout": 15}],
                "prefix": "smilepay:channels",
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", REDIS_URL or "cache+memory://")
# Without a broker there is no worker: tasks run in the calling process.
CELERY_TASK_ALWAYS_EAGER = env_bool(
    "CELERY_TASK_ALWAYS_EAGER", not CELERY_BROKER_URL.startswith(("redis", "amqp"))
)
CELERY_TASK_EAGER_PROPAGATES = True
# Enqueueing happens after a payment's change has committed: an unreachable or hung
# broker must cost the request a few seconds, not minutes (the sweeps catch up).
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 3, "socket_timeout": 10}
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 1,
}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 3
CELERY_REDIS_SOCKET_TIMEOUT = 10
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_DEFAULT_QUEUE = "default"
# Face work, the kiosk's 1:N search and online checkout's 1:1 check alike, runs on the
# recognition workers.
CELERY_TASK_ROUTES = {
    "kiosk.tasks.recognize*": {"queue": "recognition"},
    "payments.tasks.verify_online_face": {"queue": "recognition"},
    # Slow receivers (up to WEBHOOK_TIMEOUT_SECONDS a try) wait in a queue of their own,
    # not in front of the expiry and settlement sweeps on `default`.
    "payments.tasks.deliver_webhook": {"queue": "webhooks"},
    "payments.tasks.retry_due_webhooks": {"queue": "webhooks"},
}
CELERY_BEAT_SCHEDULE: dict = {}

# --- auth -----------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.EmailOrPhoneBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
# /start/ sends staff to the merchant site and customers to the portal (a safe `next` wins).
LOGIN_REDIRECT_URL = "/start/"
LOGOUT_REDIRECT_URL = "/"
PHONE_DEFAULT_REGION = env_str("PHONE_DEFAULT_REGION", "US")

# --- i18n, static ---------------------------------------------------------------------
# docs/i18n.md: catalogs, the switcher, formats. A visitor gets the language of the
# switcher's cookie, else the first supported one their browser asks for, else this one.
LANGUAGES = [("en", "English"), ("fr", "Français")]
LANGUAGE_CODE = env_str("LANGUAGE_CODE", "en")
if LANGUAGE_CODE not in dict(LANGUAGES):
    raise ImproperlyConfigured(
        f"LANGUAGE_CODE={LANGUAGE_CODE!r}: use one of {', '.join(dict(LANGUAGES))}."
    )
# The project's own catalog: templates/, static/ and the smilepay package (apps with a
# locale/ folder of their own keep theirs there).
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates and numbers per language (smilepay/formats/<lang>/formats.py); money goes
# through smilepay/money.py (CLDR, with babel).
FORMAT_MODULE_PATH = ["smilepay.formats"]
LANGUAGE_COOKIE_NAME = "smilepay_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env_bool("STATIC_MANIFEST", False)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Serve straight from the app folders too, so `make run` needs no collectstatic step.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- HTTPS and cookies ------------------------------------------------------------------
# HTTPS=true is the production switch: secure cookies, HSTS and the redirect to https.
HTTPS = env_bool("HTTPS", False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_CONTENT_TYPE_NOSNIFF = True
# A styled page (or JSON for JSON clients) instead of Django's bare one.
CSRF_FAILURE_VIEW = "smilepay.error_views.csrf_failure"
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# Pages run only the site's own script files: no inline script or style attribute, no
# other origin (an injected <script> or onclick does not run). The camera's frames are
# drawn to canvases and previewed from blob: URLs; websockets are same-origin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:"],
        "media-src": [SELF, "blob:", "mediastream:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
    }
}
# The camera for this site's own pages (kiosk, enrolment, the phone's face check); no
# other powerful feature, and none for anything it might embed.
PERMISSIONS_POLICY = {
    "camera": ["self"],
    "microphone": [],
    "geolocation": [],
    "payment": [],
    "usb": [],
    "display-capture": [],
}

# --- mail and SMS ---------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "accounts.mail.ConsoleEmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "SmilePay <no-reply@smilepay.local>")
# Where customers write when only a person can help (a face already enrolled elsewhere, a
# payment they did not make). Empty: the messages say to ask the operator instead.
SUPPORT_EMAIL = env_str("SUPPORT_EMAIL", "")
SMS_BACKEND = env_str("SMS_BACKEND", "accounts.sms.ConsoleSmsBackend")
SMS_FILE_PATH = env_str("SMS_FILE_PATH", str(LOCAL_DIR / "sms.log"))
# Console backends write one-time codes and reset links where the logs go: in production
# (HTTPS=true) only when the operator says so.
ALLOW_CONSOLE_MESSAGES = env_bool("ALLOW_CONSOLE_MESSAGES", False)
_CONSOLE_BACKENDS = {
    "accounts.sms.ConsoleSmsBackend",
    "accounts.mail.ConsoleEmailBackend",
    "django.core.mail.backends.console.EmailBackend",
}
if HTTPS and not ALLOW_CONSOLE_MESSAGES:
    for _name, _backend in (("SMS_BACKEND", SMS_BACKEND), ("EMAIL_BACKEND", EMAIL_BACKEND)):
        if _backend in _CONSOLE_BACKENDS:
            raise ImproperlyConfigured(
                f"{_name} is the console backend ({_backend}), which writes one-time codes and "
                "password-reset links to the log. With HTTPS=true set a real backend, or "
                "ALLOW_CONSOLE_MESSAGES=true to accept that."
            )

# --- Web Push -------------------------------------------------------------------------
VAPID_PRIVATE_KEY = _secret("VAPID_PRIVATE_KEY")
VAPID_PUBLIC_KEY = _secret("VAPID_PUBLIC_KEY")
VAPID_SUBJECT = env_str("VAPID_SUBJECT", "mailto:operator@smilepay.local")

# --- biometrics -----------------------------------------------------------------------
# Uploaded frames stay in memory: Django's default handler would spill files above
# 2.5 MB to a temporary file, and face images must never touch the disk. A request
# larger than the cap gets no files at all (and a clear "too few frames" error).
FILE_UPLOAD_HANDLERS = ["django.core.files.uploadhandler.MemoryFileUploadHandler"]
FILE_UPLOAD_MAX_MEMORY_SIZE = env_int("FILE_UPLOAD_MAX_MEMORY_SIZE", 20 * 1024 * 1024)
# Bodies are capped before they are read (smilepay/body_limits.py): this for every request,
# the frame caps for uploads, FILE_UPLOAD_MAX_MEMORY_SIZE above all, so that the ASGI
# handler's spool never reaches the disk either.
REQUEST_MAX_BODY_BYTES = env_int("REQUEST_MAX_BODY_BYTES", 1024 * 1024)
# Camera frames (kiosk burst, online confirmation, enrolment) larger than this on a side
# are refused from the header, before decoding (smilepay/upload_images.py). The pages send
# 640 px wide frames.
UPLOAD_IMAGE_MAX_SIDE = env_int("UPLOAD_IMAGE_MAX_SIDE", 1920)
FACE_MASTER_KEY = _secret("FACE_MASTER_KEY")
FACE_MASTER_KEY_ID = env_str("FACE_MASTER_KEY_ID", "local-1")
FACES_DIR = Path(env_str("SMILEPAY_FACES_DIR", str(BASE_DIR.parent / "shared" / "faces")))

# --- payments ------------------------------------------------------------------------
PAYMENT_CONFIRMATION_SECONDS = env_int("PAYMENT_CONFIRMATION_SECONDS", 120)
DEFAULT_CURRENCY = env_str("DEFAULT_CURRENCY", "USD")

# --- demo -----------------------------------------------------------------------------
DEMO_PASSWORD = _secret("DEMO_PASSWORD")
# The demo web shop at /shop/ (the demo_shop app): installed and mounted only when
# enabled. `make run` enables it for the embedded demo; a production deployment leaves it off.
DEMO_SHOP = env_bool("DEMO_SHOP", False)
if DEMO_SHOP:
    INSTALLED_APPS.append("demo_shop")
# Where the demo shop calls SmilePay's API (with its API key): configured, never taken
# from a request's Host header.
DEMO_SHOP_API_URL = env_str("DEMO_SHOP_API_URL", SITE_URL + "/api/v1/")

# --- REST API -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["smilepay.json_body.SafeJSONParser"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "SmilePay merchant API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
}

# --- logging: never biometric content, never request bodies ------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"no_client_tracebacks": {"()": "smilepay.log_filters.NoTracebackForClientErrors"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["no_client_tracebacks"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # Messages to customers (accounts/sms.py, accounts/mail.py): whole, codes and links
    # included, only at DEBUG, which a laptop (HTTPS=false) shows so that the developer
    # can sign up; with HTTPS=true never, whatever LOG_LEVEL says: who and when only.
    "loggers": {"smilepay.outbox": {"level": "INFO" if HTTPS else "DEBUG"}},
}

# --- accounts: sign-up, phone codes, consent, enrollment, push ---
# One-time phone codes: lifetime, wrong guesses per code, wait between sends, sends per hour.
PHONE_CODE_TTL_SECONDS = env_int("PHONE_CODE_TTL_SECONDS", 600)
PHONE_CODE_MAX_ATTEMPTS = env_int("PHONE_CODE_MAX_ATTEMPTS", 5)
PHONE_CODE_RESEND_SECONDS = env_int("PHONE_CODE_RESEND_SECONDS", 60)
PHONE_CODE_MAX_PER_HOUR = env_int("PHONE_CODE_MAX_PER_HOUR", 5)
# The consent text in force (accounts/consent.py); a new version asks everyone again.
BIOMETRIC_CONSENT_VERSION = "2026-11"
# Good captures an enrollment needs (3 to 5) before the self-check.
FACE_ENROLL_CAPTURES = min(5, max(3, env_int("FACE_ENROLL_CAPTURES", 3)))
# Frame checks (live guidance) and captures a customer may send per minute.
FACE_CHECKS_PER_MINUTE = env_int("FACE_CHECKS_PER_MINUTE", 120)
# Presentation-attack detection (smilepay.faces.spoof_check) on kiosk and phone bursts and
# on enrollment captures. Off only for test rigs whose fake camera plays photographs, which
# it rightly refuses; never off in production (refused below when HTTPS=true).
FACE_PAD_REQUIRED = env_bool("FACE_PAD_REQUIRED", True)
if HTTPS and not FACE_PAD_REQUIRED:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("FACE_PAD_REQUIRED=false is for test rigs only, not with HTTPS=true")
# Capture challenges a ticket may carry (smilepay.faces.challenge.PATTERNS), a random extra
# hold of 0..N ms before each prompt change, and how far a device's clock may be off.
FACE_CHALLENGES = env_list("FACE_CHALLENGES", ["neutral-smile", "smile-neutral-smile"])
FACE_CHALLENGE_JITTER_MS = env_int("FACE_CHALLENGE_JITTER_MS", 700)
FACE_CHALLENGE_CLOCK_SKEW_SECONDS = env_int("FACE_CHALLENGE_CLOCK_SKEW_SECONDS", 30)
# Master keys still accepted for unwrapping during a rotation: "id=base64url,id=base64url".
FACE_MASTER_KEYS_RETIRED = env_str("FACE_MASTER_KEYS_RETIRED", "")
# Seconds a push service keeps an undelivered notification.
WEBPUSH_TTL_SECONDS = env_int("WEBPUSH_TTL_SECONDS", 300)
# Accept http:// push endpoints (tests with a local push service only; never in production).
WEBPUSH_ALLOW_HTTP_ENDPOINTS = env_bool("WEBPUSH_ALLOW_HTTP_ENDPOINTS", False)
# Accept push endpoints on loopback/private addresses (development and tests with a local
# push service only; never in production, where every endpoint must resolve to public addresses).
WEBPUSH_ALLOW_PRIVATE_ENDPOINTS = env_bool("WEBPUSH_ALLOW_PRIVATE_ENDPOINTS", False)
# Sign-in: failed tries per account and per client address before both are refused, even
# with the right password, for LOGIN_LOCKOUT_SECONDS (accounts/signin_limits.py).
LOGIN_FAILURES_PER_ACCOUNT = env_int("LOGIN_FAILURES_PER_ACCOUNT", 5)
LOGIN_FAILURES_PER_IP = env_int("LOGIN_FAILURES_PER_IP", 30)
LOGIN_LOCKOUT_SECONDS = env_int("LOGIN_LOCKOUT_SECONDS", 900)
# Password reset requests per address typed and per client address, per hour.
PASSWORD_RESETS_PER_ACCOUNT_HOUR = env_int("PASSWORD_RESETS_PER_ACCOUNT_HOUR", 3)
PASSWORD_RESETS_PER_IP_HOUR = env_int("PASSWORD_RESETS_PER_IP_HOUR", 10)
# Sign-ups tried per client address per hour (each answer tells whether an e-mail or a
# verified phone number has an account).
SIGNUPS_PER_IP_HOUR = env_int("SIGNUPS_PER_IP_HOUR", 20)

# --- payments: ledger, API, webhooks, merchant site ---
# Seconds a new payment stays open (kiosk capture or online request) before it expires.
PAYMENT_TTL_SECONDS = env_int("PAYMENT_TTL_SECONDS", 600)
# Recognition tries per payment (matching -> failed -> matching ...) before it stays failed.
PAYMENT_MAX_MATCH_ATTEMPTS = env_int("PAYMENT_MAX_MATCH_ATTEMPTS", 5)
# Hours an Idempotency-Key and its stored answer are kept.
IDEMPOTENCY_KEY_TTL_HOURS = env_int("IDEMPOTENCY_KEY_TTL_HOURS", 24)
# Seconds after which an unfinished request's Idempotency-Key may be taken over (a crash).
IDEMPOTENCY_LOCK_SECONDS = env_int("IDEMPOTENCY_LOCK_SECONDS", 60)
# Webhook delivery: tries before giving up, per-try timeout, first retry delay (doubles).
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 8)
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 10)
WEBHOOK_RETRY_BASE_SECONDS = env_int("WEBHOOK_RETRY_BASE_SECONDS", 30)
# Webhooks to loopback and private networks: an explicit opt-in for local receivers in
# development and tests (`make run` sets it for the demo shop); never in production.
WEBHOOK_ALLOW_PRIVATE_TARGETS = env_bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", False)
# Seconds past a delivery's retry time before the sweep sends it itself: Celery's own
# retry is due first; the sweep takes over deliveries whose message was lost.
WEBHOOK_SWEEP_GRACE_SECONDS = env_int("WEBHOOK_SWEEP_GRACE_SECONDS", 60)
# Most seconds one retry sweep spends sending (beat starts one a minute): the worker goes
# back to expiring payments; what is left waits for the next sweep.
WEBHOOK_SWEEP_BUDGET_SECONDS = env_int("WEBHOOK_SWEEP_BUDGET_SECONDS", 45)
# The largest payment, in minor units, for merchants without a maximum of their own.
PAYMENT_MAX_AMOUNT_MINOR = env_int("PAYMENT_MAX_AMOUNT_MINOR", 1_000_000)
# Seconds a recognition (kiosk or online face check) may take; a payment still matching
# after that (its worker died, its message was lost) is failed so the customer can retry.
PAYMENT_MATCHING_TIMEOUT_SECONDS = env_int("PAYMENT_MATCHING_TIMEOUT_SECONDS", 45)
# Without a broker there is no beat: the web server runs the sweeps (expiry, webhook
# retries, stuck recognitions) itself every EMBEDDED_SWEEP_SECONDS (smilepay/sweeper.py).
EMBEDDED_SWEEPS = env_bool("EMBEDDED_SWEEPS", CELERY_TASK_ALWAYS_EAGER)
EMBEDDED_SWEEP_SECONDS = env_float("EMBEDDED_SWEEP_SECONDS", 2.0)
# Self-service "add money" in the portal: enabled providers ("demo" = demo money, or a
# dotted path to a provider class), the most one top-up may add and the most per 24 hours.
# Demo money is on by default on a laptop and off in production (HTTPS=true).
WALLET_FUNDING_PROVIDERS = env_list("WALLET_FUNDING_PROVIDERS", [] if HTTPS else ["demo"])
WALLET_FUNDING_MAX_MINOR = env_int("WALLET_FUNDING_MAX_MINOR", 20_000)
WALLET_FUNDING_DAILY_MAX_MINOR = env_int("WALLET_FUNDING_DAILY_MAX_MINOR", 50_000)
# A funding still pending this long after it began lost its answer (the process died
# between the provider's charge and its record): the sweep asks the provider.
WALLET_FUNDING_SETTLE_AFTER_SECONDS = env_int("WALLET_FUNDING_SETTLE_AFTER_SECONDS", 120)
CELERY_BEAT_SCHEDULE.update(
    {
        "payments-expire-due": {"task": "payments.tasks.expire_due_payments", "schedule": 30.0},
        "payments-retry-webhooks": {"task": "payments.tasks.retry_due_webhooks", "schedule": 60.0},
        "payments-fail-stuck-matching": {
            "task": "payments.tasks.fail_stuck_matching",
            "schedule": 10.0,
        },
        "payments-settle-interrupted-fundings": {
            "task": "payments.tasks.settle_interrupted_fundings",
            "schedule": 60.0,
        },
        "payments-prune-idempotency": {
            "task": "payments.tasks.prune_idempotency_records",
            "schedule": 3600.0,
        },
    }
)

# --- kiosk: capture, recognition ---
KIOSK_CAPTURE_TOKEN_SECONDS = env_int("KIOSK_CAPTURE_TOKEN_SECONDS", 60)
KIOSK_MIN_FRAMES = env_int("KIOSK_MIN_FRAMES", 4)
KIOSK_MAX_FRAMES = env_int("KIOSK_MAX_FRAMES", 12)
KIOSK_MAX_FRAME_BYTES = env_int("KIOSK_MAX_FRAME_BYTES", 600_000)
KIOSK_FRAMES_TTL_SECONDS = env_int("KIOSK_FRAMES_TTL_SECONDS", 120)
KIOSK_ATTEMPTS_PER_MINUTE = env_int("KIOSK_ATTEMPTS_PER_MINUTE", 20)
KIOSK_ATTEMPTS_PER_PHONE_DIGITS = env_int("KIOSK_ATTEMPTS_PER_PHONE_DIGITS", 10)
KIOSK_ATTEMPTS_PER_CUSTOMER_HOUR = env_int("KIOSK_ATTEMPTS_PER_CUSTOMER_HOUR", 30)
# Staff confirmations ("Unpair this device") a kiosk screen may try per 15 minutes.
KIOSK_UNPAIR_ATTEMPTS = env_int("KIOSK_UNPAIR_ATTEMPTS", 5)
# Distances within this factor of the threshold count as "nearly matched" for the
# customer's "where my face was used" page.
KIOSK_NEAR_MATCH_FACTOR = env_float("KIOSK_NEAR_MATCH_FACTOR", 1.15)
# How wide a face search may be (kiosk/search_policy.py): the chance that a stranger is
# matched to somebody grows with every customer searched. 0.01 allows an open search over
# 279 customers at the calibrated FMR of dlib alone; 0.001 allows auto-approval over 27.
KIOSK_OPEN_SEARCH_MAX_RISK = env_probability("KIOSK_OPEN_SEARCH_MAX_RISK", 0.01)
KIOSK_AUTO_APPROVE_MAX_RISK = env_probability("KIOSK_AUTO_APPROVE_MAX_RISK", 0.001)
