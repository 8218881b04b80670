from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = _("Rapporter")

    def ready(self):
        from crm.anonymise import SubjectRecords, register
        from reporting.models import Report

        # A company summary and a founder's or contact person's access request hold the
        # person's data: their files are deleted when it is anonymised or erased
        # (crm.retention).
        register(SubjectRecords(Report, texts=("file",), contact="contact"))
