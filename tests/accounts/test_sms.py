import logging

from accounts.sms import send_sms


def test_the_file_backend_appends_one_line_per_message(settings, tmp_path):
    settings.SMS_BACKEND = "accounts.sms.FileSmsBackend"
    settings.SMS_FILE_PATH = str(tmp_path / "sms.log")
    send_sms(to="+12025550147", body="Your SmilePay code is 123456")
    send_sms(to="+12025550148", body="second")
    lines = (tmp_path / "sms.log").read_text().splitlines()
    assert [line.split("\t")[1:] for line in lines] == [
        ["+12025550147", "Your SmilePay code is 123456"],
        ["+12025550148", "second"],
    ]


def test_the_console_backend_logs_the_message_only_at_debug(settings, caplog):
    settings.SMS_BACKEND = "accounts.sms.ConsoleSmsBackend"
    with caplog.at_level(logging.DEBUG, logger="smilepay.outbox"):
        send_sms(to="+12025550147", body="Your SmilePay code is 314159")
    info = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    debug = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    assert info and not any("314159" in line or "5550147" in line for line in info)
    assert "[sms to +12025550147] Your SmilePay code is 314159" in debug
