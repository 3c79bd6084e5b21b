import json
import subprocess

import pytest

from tests.services import REPO, clean_env, python

# Every test here starts Django in a fresh process: the `make test-all` tier.
pytestmark = pytest.mark.slow

PROBE = """
import json, django
from django.conf import settings
django.setup()
print(json.dumps({
    "db": settings.DATABASES["default"]["ENGINE"],
    "db_name": str(settings.DATABASES["default"]["NAME"]),
    "eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "broker": settings.CELERY_BROKER_URL,
    "layer": settings.CHANNEL_LAYERS["default"]["BACKEND"],
    "cache": settings.CACHES["default"]["BACKEND"],
    "sms": settings.SMS_BACKEND,
    "debug": settings.DEBUG,
    "secret_len": len(settings.SECRET_KEY),
    "vapid_public": settings.VAPID_PUBLIC_KEY,
    "conn_max_age": settings.DATABASES["default"].get("CONN_MAX_AGE"),
    "pool": settings.DATABASES["default"].get("OPTIONS", {}).get("pool"),
    "embedded_sweeps": settings.EMBEDDED_SWEEPS,
    "funding": settings.WALLET_FUNDING_PROVIDERS,
    "celery_app": __import__("celery").current_app.main,
    "celery_broker": __import__("celery").current_app.conf.broker_url,
}))
"""


def resolve(tmp_path, **env: str) -> dict:
    result = subprocess.run(
        [python(), "-c", PROBE],
        cwd=REPO,
        env=clean_env(
            DJANGO_SETTINGS_MODULE="smilepay.settings", SMILEPAY_LOCAL_DIR=str(tmp_path), **env
        ),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_it_runs_embedded_with_no_variables_set(tmp_path):
    resolved = resolve(tmp_path)
    assert resolved["db"] == "django.db.backends.sqlite3"
    assert resolved["db_name"].endswith("db.sqlite3")
    assert resolved["eager"] is True
    assert resolved["layer"] == "channels.layers.InMemoryChannelLayer"
    assert resolved["cache"].endswith("LocMemCache")
    assert resolved["sms"] == "accounts.sms.ConsoleSmsBackend"
    assert resolved["debug"] is False
    assert resolved["secret_len"] >= 50


def test_a_bad_face_engine_setting_stops_django_at_start_up(tmp_path):
    for name, value in (
        ("SMILEPAY_MATCH_THRESHOLD", "abc"),
        ("SMILEPAY_FACE_DETECTOR", "cnn"),
        ("SMILEPAY_FACE_ENCODERS", "dlib,mobilefacenet:/nowhere/MobileFaceNet.tflite"),
        ("SMILEPAY_FACE_MESH_MODEL", "/nowhere/face_landmark.tflite"),
        ("SMILEPAY_SMILE_MODEL", "landmarks86"),
        ("SMILEPAY_PAD_THRESHOLD", "2"),
    ):
        result = subprocess.run(
            [python(), "-c", PROBE],
            cwd=REPO,
            env=clean_env(
                DJANGO_SETTINGS_MODULE="smilepay.settings",
                SMILEPAY_LOCAL_DIR=str(tmp_path),
                **{name: value},
            ),
            capture_output=True,
            text=True,
        )
        assert result.returncode != 0 and name in result.stderr, (name, result.stderr[-300:])


def test_django_processes_load_the_project_celery_app_with_its_settings(tmp_path):
    # smilepay/__init__.py no longer imports Celery (the face engine must not); the app
    # config does, so tasks queued by web processes reach the configured broker.
    resolved = resolve(tmp_path, REDIS_URL="redis://127.0.0.1:6379/9")
    assert resolved["celery_app"] == "smilepay"
    assert resolved["celery_broker"] == resolved["broker"]


def test_it_switches_to_postgres_and_redis_from_urls(tmp_path):
    resolved = resolve(
        tmp_path,
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/smilepay",
        REDIS_URL="redis://127.0.0.1:6379/3",
    )
    assert resolved["db"] == "django.db.backends.postgresql"
    assert resolved["db_name"] == "smilepay"
    assert resolved["eager"] is False
    assert resolved["broker"] == "redis://127.0.0.1:6379/3"
    assert resolved["layer"] == "channels_redis.core.RedisChannelLayer"
    assert resolved["cache"] == "django.core.cache.backends.redis.RedisCache"


def test_it_generates_secrets_once_and_reuses_them(tmp_path):
    first = resolve(tmp_path)
    second = resolve(tmp_path)
    assert first["vapid_public"] == second["vapid_public"]
    secrets_file = tmp_path / "secrets.json"
    assert secrets_file.stat().st_mode & 0o077 == 0, "secrets must be readable by owner only"
    assert set(json.loads(secrets_file.read_text())) >= {"SECRET_KEY", "VAPID_PRIVATE_KEY"}


def test_it_prefers_secrets_from_the_environment(tmp_path):
    resolved = resolve(tmp_path, SECRET_KEY="x" * 64, DEBUG="true")
    assert resolved["secret_len"] == 64
    assert resolved["debug"] is True


def refused(tmp_path, **env: str) -> str:
    """Settings that do not load: their error output."""
    result = subprocess.run(
        [python(), "-c", PROBE],
        cwd=REPO,
        env=clean_env(
            DJANGO_SETTINGS_MODULE="smilepay.settings", SMILEPAY_LOCAL_DIR=str(tmp_path), **env
        ),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    return result.stderr


def test_it_refuses_a_boolean_it_cannot_read(tmp_path):
    assert "DEBUG must be true or false" in refused(tmp_path, DEBUG="maybe")


def test_it_refuses_to_run_in_production_without_presentation_attack_detection(tmp_path):
    error = refused(
        tmp_path, HTTPS="true", FACE_PAD_REQUIRED="false", ALLOW_CONSOLE_MESSAGES="true"
    )
    assert "FACE_PAD_REQUIRED=false is for test rigs only" in error


def test_it_refuses_a_search_risk_that_is_not_a_probability(tmp_path):
    error = refused(tmp_path, KIOSK_OPEN_SEARCH_MAX_RISK="5")
    assert "KIOSK_OPEN_SEARCH_MAX_RISK must be a probability between 0 and 1" in error


def test_deploy_check_is_clean_under_production_settings(tmp_path):
    result = subprocess.run(
        [python(), "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO,
        env=clean_env(
            SMILEPAY_LOCAL_DIR=str(tmp_path),
            HTTPS="true",
            SMS_BACKEND="accounts.sms.FileSmsBackend",
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            SECRET_KEY="k3-" + "Zq9vX2pL7mR4tY8wE1uI6oP0aS5dF3gH" * 2,
            ALLOWED_HOSTS="pay.example.com",
            DATABASE_URL="postgres://postgres@127.0.0.1:5432/test",
        ),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_an_empty_variable_counts_as_unset(tmp_path):
    resolved = resolve(tmp_path, CELERY_TASK_ALWAYS_EAGER="", DEBUG="", SECRET_KEY="")
    assert resolved["eager"] is True
    assert resolved["debug"] is False
    assert resolved["secret_len"] >= 50


def test_under_asgi_postgres_connections_are_pooled_and_never_kept_per_thread(tmp_path):
    resolved = resolve(tmp_path, DATABASE_URL="postgres://postgres@127.0.0.1:5432/smilepay")
    assert resolved["conn_max_age"] == 0
    assert resolved["pool"]["max_size"] == 8
    unpooled = resolve(
        tmp_path,
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/smilepay",
        DATABASE_POOL_MAX_SIZE="0",
    )
    assert (unpooled["conn_max_age"], unpooled["pool"]) == (0, None)


def test_the_web_server_runs_the_sweeps_only_without_a_broker(tmp_path):
    assert resolve(tmp_path)["embedded_sweeps"] is True
    assert resolve(tmp_path, REDIS_URL="redis://127.0.0.1:6379/3")["embedded_sweeps"] is False


def test_demo_money_is_on_in_the_embedded_default_and_off_in_production(tmp_path):
    assert resolve(tmp_path)["funding"] == ["demo"]
    # ALLOW_CONSOLE_MESSAGES: production settings refuse console messaging otherwise.
    production = resolve(tmp_path, HTTPS="true", ALLOW_CONSOLE_MESSAGES="true")
    assert production["funding"] == []
    opted_in = resolve(
        tmp_path, HTTPS="true", ALLOW_CONSOLE_MESSAGES="true", WALLET_FUNDING_PROVIDERS="demo"
    )
    assert opted_in["funding"] == ["demo"]
