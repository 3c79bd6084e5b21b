from django.apps import AppConfig


class SmilePayConfig(AppConfig):
    """The project package itself. At start-up it loads the Celery app, so tasks queued
    from web processes and management commands go to the configured broker, and reads
    the face engine's configuration (detector, encoders, calibrated thresholds), so a
    bad value stops the process at boot rather than failing the first payment."""

    name = "smilepay"
    label = "smilepay_project"
    verbose_name = "SmilePay"

    def ready(self) -> None:
        import smilepay.celery  # noqa: F401
        from smilepay.faces import config

        config.load()
