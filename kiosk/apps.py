from django.apps import AppConfig


class KioskConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "kiosk"
    verbose_name = "Kiosk"

    def ready(self) -> None:
        from kiosk.realtime import close_kiosk_sockets, on_payment_status_changed
        from merchants.signals import kiosk_paired, kiosk_revoked
        from payments.signals import payment_status_changed

        payment_status_changed.connect(on_payment_status_changed, dispatch_uid="kiosk-broadcast")
        kiosk_paired.connect(close_kiosk_sockets, dispatch_uid="kiosk-paired")
        kiosk_revoked.connect(close_kiosk_sockets, dispatch_uid="kiosk-revoked")
