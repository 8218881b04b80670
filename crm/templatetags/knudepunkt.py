from django import template

from crm.models import Theme

register = template.Library()


@register.filter
def person(user) -> str:
    """A user's full name, else the user name, else a dash."""
    if user is None:
        return "–"
    return user.get_full_name() or user.get_username()


@register.filter
def theme_labels(themes) -> list[str]:
    """The readable names of a list of theme codes."""
    return [str(Theme(theme).label) for theme in themes]
