from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "payments"
    verbose_name = "Merchants and payments"

    def ready(self) -> None:
        from accounts.signals import customer_state_requested, push_failed
        from payments.portal.live import on_push_failed, pending_confirmations_state

        customer_state_requested.connect(
            pending_confirmations_state, dispatch_uid="payments-pending-confirmations"
        )
        push_failed.connect(on_push_failed, dispatch_uid="payments-push-failed")
