from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    name = "referrals"
    verbose_name = _("Henvisninger")

    def ready(self):
        from crm.anonymise import SubjectRecords, register
        from crm.audit.history import OtherHistory
        from crm.audit.history import register as register_history
        from referrals.models import Referral, ReferralEvent
        from referrals.queries import history_name, history_rows

        # Referrals and their events follow their subject (crm.retention).
        keys = ["referral-new", "referral-accepted", "referral-declined"]
        register(
            SubjectRecords(
                Referral,
                texts=("reason", "decline_reason"),
                dated="sent_at",
                notifications=(*keys, "deadline_soon", "deadline_missed"),
            )
        )
        register(
            SubjectRecords(
                ReferralEvent,
                texts=("note",),
                company="referral__company",
                founder="referral__founder",
            )
        )
        # A referral's changes (sent, accepted, ...) are in its subject's history (crm.audit).
        register_history(OtherHistory(Referral, history_rows, name=history_name))
