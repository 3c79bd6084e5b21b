from django.apps import AppConfig


class DemoShopConfig(AppConfig):
    name = "demo_shop"
    verbose_name = "Demo shop"

    def ready(self) -> None:
        # seed_demo knows nothing of the shop: the shop registers itself when demo data is
        # seeded, so the product never imports its own demo.
        from demo_shop import seed
        from payments.signals import demo_seeded

        demo_seeded.connect(seed.register, dispatch_uid="demo_shop.register")
