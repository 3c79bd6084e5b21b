from django.apps import AppConfig


class SmilePayConfig(AppConfig):
    """The project package itself: it only loads the Celery app when Django starts, so
    tasks queued from web processes and management commands go to the configured broker."""

    name = "smilepay"
    label = "smilepay_project"
    verbose_name = "SmilePay"

    def ready(self) -> None:
        import smilepay.celery  # noqa: F401
