from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "payments"
    verbose_name = "Payments"

    def ready(self) -> None:
        from accounts.signals import (
            account_deleted,
            account_deletion_viewed,
            customer_state_requested,
            push_failed,
        )
        from merchants.signals import kiosk_paired, kiosk_revoked
        from payments.portal.account_deletion import decline_what_waits_on_them, money_left_warnings
        from payments.portal.live import on_push_failed, pending_confirmations_state
        from payments.services import on_kiosk_paired, on_kiosk_revoked

        customer_state_requested.connect(
            pending_confirmations_state, dispatch_uid="payments-pending-confirmations"
        )
        push_failed.connect(on_push_failed, dispatch_uid="payments-push-failed")
        account_deletion_viewed.connect(money_left_warnings, dispatch_uid="payments-money-left")
        account_deleted.connect(decline_what_waits_on_them, dispatch_uid="payments-decline-waiting")
        kiosk_revoked.connect(on_kiosk_revoked, dispatch_uid="payments-kiosk-revoked")
        kiosk_paired.connect(on_kiosk_paired, dispatch_uid="payments-kiosk-paired")
