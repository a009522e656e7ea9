from django import template

register = template.Library()


@register.filter
def is_changed(item, changed_keys) -> bool:
    """Whether a form field (a bound field or a filter line with `names`) is among the
    `changed_keys` field names (an applied AI suggestion)."""
    if not changed_keys:
        return False
    names = getattr(item, "names", None) or (getattr(item, "html_name", None),)
    return any(name in changed_keys for name in names)


@register.filter
def get_item(mapping, key):
    return (mapping or {}).get(key)
