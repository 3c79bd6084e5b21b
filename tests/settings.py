"""Settings for the test run: the project's settings, pointed at the test services.

TEST_DATABASE_URL runs the whole suite on that database (PostgreSQL in CI). The unit
tier never depends on a broker: Celery stays eager and the channel layer in memory;
integration tests start their own worker and server against TEST_REDIS_URL.
"""

import os

if os.environ.get("TEST_DATABASE_URL"):
    os.environ["DATABASE_URL"] = os.environ["TEST_DATABASE_URL"]

from smilepay.settings import *  # noqa: F403

CELERY_BROKER_URL = "memory://"
CELERY_RESULT_BACKEND = "cache+memory://"
CELERY_TASK_ALWAYS_EAGER = True
CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
# The suite's webhook receivers and push service listen on 127.0.0.1: the explicit
# development opt-in for private targets (tests of the SSRF guard switch it off).
WEBHOOK_ALLOW_PRIVATE_TARGETS = True
WEBPUSH_ALLOW_PRIVATE_ENDPOINTS = True
# The demo shop is mounted for the unit tests of it (production leaves it off; a test
# checks that default in a fresh process).
DEMO_SHOP = True
if "demo_shop" not in INSTALLED_APPS:  # noqa: F405
    INSTALLED_APPS.append("demo_shop")  # noqa: F405
# The test process is not an ASGI server: plain connections (the threads of the
# concurrency tests close theirs), and no embedded sweeper unless a test starts one.
DATABASES["default"].get("OPTIONS", {}).pop("pool", None)  # noqa: F405
EMBEDDED_SWEEPS = False
# The bursts the suite builds from portraits cannot judge presentation-attack detection,
# which rightly sees a studio photo as an attack: it is off here, and the tests of it on
# real webcam frames (tests/faces/test_pad.py, tests/kiosk/test_presentation_attack.py)
# turn it on. Stand-in, named so: production never runs without it (settings.py).
FACE_PAD_REQUIRED = False
