from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def cpr_keys_are_set(app_configs, **kwargs):
    """Production must bring its own CPR keys: the development ones are in the source code."""
    errors = []
    if settings.DEVELOPMENT_CPR_ENCRYPTION_KEY in settings.CPR_ENCRYPTION_KEYS:
        errors.append(Error("Set CPR_ENCRYPTION_KEYS (Fernet keys, newest first).", id="crm.E001"))
    if settings.CPR_LOOKUP_KEY == settings.DEVELOPMENT_CPR_LOOKUP_KEY:
        errors.append(Error("Set CPR_LOOKUP_KEY (a long random string).", id="crm.E002"))
    return errors
