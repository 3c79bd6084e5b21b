"""One-time codes and password-reset links never reach the logs of a production server."""

from __future__ import annotations

import logging
import subprocess

import pytest
from django.core import mail

from smilepay.log_filters import RedactSecretUrls
from tests.accounts.conftest import make_customer
from tests.services import REPO, clean_env, python
from tests.smilepay.test_settings import refused, resolve

PRODUCTION = {
    "HTTPS": "true",
    "SECRET_KEY": "k3-" + "Zq9vX2pL7mR4tY8wE1uI6oP0aS5dF3gH" * 2,
    "ALLOWED_HOSTS": "pay.example.com",
}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("variable", "backends"),
    [
        ("SMS_BACKEND", {"EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend"}),
        ("EMAIL_BACKEND", {"SMS_BACKEND": "accounts.sms.FileSmsBackend"}),
        (
            "EMAIL_BACKEND",
            {
                "SMS_BACKEND": "accounts.sms.FileSmsBackend",
                "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
            },
        ),
    ],
)
def test_production_refuses_to_start_on_a_console_backend(tmp_path, variable, backends):
    error = refused(tmp_path, **PRODUCTION, **backends)
    assert f"{variable} is the console backend" in error
    assert "ALLOW_CONSOLE_MESSAGES=true" in error


@pytest.mark.slow
def test_production_starts_on_a_console_backend_when_the_operator_allows_it(tmp_path):
    resolved = resolve(tmp_path, **PRODUCTION, ALLOW_CONSOLE_MESSAGES="true")
    assert resolved["sms"] == "accounts.sms.ConsoleSmsBackend"


SEND_BOTH = """
import django
django.setup()
from django.core.mail import EmailMessage
from accounts.mail import ConsoleEmailBackend
from accounts.sms import send_sms
send_sms(to="+12025550147", body="Your SmilePay code is 271828. It expires in 10 minutes.")
link = "https://pay.example.com/accounts/reset/MQ/c3x9ab-0123456789abcdef0123456789abcdef/"
ConsoleEmailBackend().send_messages(
    [EmailMessage("Reset your password", f"Open {link}", to=["ada@example.com"])]
)
"""


@pytest.mark.slow
def test_a_production_server_logs_neither_codes_nor_reset_links_even_at_debug(tmp_path):
    result = subprocess.run(
        [python(), "-c", SEND_BOTH],
        cwd=REPO,
        env=clean_env(
            DJANGO_SETTINGS_MODULE="smilepay.settings",
            SMILEPAY_LOCAL_DIR=str(tmp_path),
            ALLOW_CONSOLE_MESSAGES="true",
            LOG_LEVEL="DEBUG",
            **PRODUCTION,
        ),
        capture_output=True,
        text=True,
        check=True,
    )
    logged = result.stdout + result.stderr
    assert "sms to +12…47 queued" in logged and "e-mail to a…@example.com queued" in logged
    assert "271828" not in logged
    assert "c3x9ab" not in logged and "/accounts/reset/" not in logged


@pytest.mark.slow
def test_a_laptop_still_shows_the_developer_the_code(tmp_path):
    result = subprocess.run(
        [python(), "-c", SEND_BOTH],
        cwd=REPO,
        env=clean_env(DJANGO_SETTINGS_MODULE="smilepay.settings", SMILEPAY_LOCAL_DIR=str(tmp_path)),
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Your SmilePay code is 271828" in result.stderr
    assert "/accounts/reset/MQ/c3x9ab" in result.stderr


@pytest.mark.django_db
def test_a_password_reset_mail_through_the_console_backend_keeps_the_link_out_of_info(
    client, settings, caplog
):
    settings.EMAIL_BACKEND = "accounts.mail.ConsoleEmailBackend"
    make_customer("ada@example.com", "+12025550147")
    with caplog.at_level(logging.INFO, logger="smilepay.outbox"):
        response = client.post("/accounts/password-reset/", {"email": "ada@example.com"})
    assert response.status_code == 302
    info = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert any("e-mail to a…@example.com queued" in line for line in info)
    assert not any("/accounts/reset/" in line for line in info)
    assert mail.outbox == []  # the console backend, not the test outbox, sent it


def test_the_access_log_keeps_no_reset_token():
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/accounts/reset/MQ/c3x9ab-0123456789abcdef/", "1.1", 302),
        None,
    )
    RedactSecretUrls().filter(record)
    assert "c3x9ab" not in record.getMessage()
    assert "/accounts/reset/MQ/[redacted]" in record.getMessage()
