from django.apps import AppConfig


class KioskConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "kiosk"
    verbose_name = "Kiosk"

    def ready(self) -> None:
        from kiosk.realtime import on_payment_status_changed
        from payments.signals import payment_status_changed

        payment_status_changed.connect(on_payment_status_changed, dispatch_uid="kiosk-broadcast")
