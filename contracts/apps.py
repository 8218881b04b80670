from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContractsConfig(AppConfig):
    name = "contracts"
    verbose_name = _("Kontrakter og mål")

    def ready(self):
        from contracts import retention
        from contracts.models import Evaluation
        from contracts.surveys.models import SurveyInvitation
        from crm.anonymise import SubjectRecords, register

        retention.register()  # the settlement and audit hold on founders' data
        # An answer kept with its subject loses its comment (free text) when the subject's
        # people are anonymised; an invitation the address it went to.
        register(SubjectRecords(Evaluation, texts=("comment",)))
        register(SubjectRecords(SurveyInvitation, texts=("recipient_email",), contact="contact"))
