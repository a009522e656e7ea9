"""Managing a team's mapping presets: rename and delete.

A team's managers and admins may change any of its presets; any other member only the presets
they saved. Deleting a preset leaves the imports it mapped as they are (their ``preset`` link
is cleared by the foreign key's SET_NULL).
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from leadops.imports.models import MappingPreset
from leadops.imports.services import PRESET_NAME_CHARS


class PresetNameInvalid(Exception):
    pass


def preset_may_change(*, preset: MappingPreset, user, membership) -> bool:
    """Managers and admins of the preset's team, or the member who saved it."""
    if membership is None or membership.team_id != preset.team_id:
        return False
    return membership.can_manage or (
        preset.created_by_id is not None and preset.created_by_id == user.pk
    )


def preset_rename(*, preset: MappingPreset, name: str) -> MappingPreset:
    name = " ".join((name or "").split())
    if not name:
        raise PresetNameInvalid("Give the preset a name.")
    if len(name) > PRESET_NAME_CHARS:
        raise PresetNameInvalid(f"A preset name can have at most {PRESET_NAME_CHARS} characters.")
    taken = (
        MappingPreset.objects.filter(team_id=preset.team_id, name=name)
        .exclude(pk=preset.pk)
        .exists()
    )
    message = f"Your team already has a preset named “{name}”. Choose another name."
    if taken:
        raise PresetNameInvalid(message)
    preset.name = name
    try:
        with transaction.atomic():
            preset.save(update_fields=["name", "updated_at"])
    except IntegrityError as exc:  # the same name saved at the same moment
        raise PresetNameInvalid(message) from exc
    return preset


def preset_delete(*, preset: MappingPreset) -> None:
    preset.delete()
