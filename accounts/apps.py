from django.apps import AppConfig


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = "Customers and accounts"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_logged_out

        from accounts import signin_limits
        from accounts.consumers import on_logged_out

        user_logged_in.connect(signin_limits.on_logged_in, dispatch_uid="signin_succeeded")
        user_logged_out.connect(on_logged_out, dispatch_uid="customer_sockets_signed_out")
