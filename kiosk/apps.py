from django.apps import AppConfig


class KioskConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "kiosk"
    verbose_name = "Kiosk"

    def ready(self) -> None:
        from kiosk.realtime import on_kiosk_device_revoked, on_payment_status_changed
        from payments.signals import kiosk_device_revoked, payment_status_changed

        payment_status_changed.connect(on_payment_status_changed, dispatch_uid="kiosk-broadcast")
        kiosk_device_revoked.connect(on_kiosk_device_revoked, dispatch_uid="kiosk-revoked")
