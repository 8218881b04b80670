from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContractsConfig(AppConfig):
    name = "contracts"
    verbose_name = _("Kontrakter og mål")

    def ready(self):
        from contracts import retention

        retention.register()  # the settlement and audit hold on founders' data
