"""Saved searches: a build's spec (strategies, geography, overrides, count, post-filters)
kept under a name, unique per team, to open in the build screen and run again."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from leadbuilder.models import SavedSearch
from leadbuilder.spec import BuildSpec


class SearchNameTaken(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(
            f"Your team already has a saved search named “{name}”. Choose another name."
        )


def _name_taken(*, team, name: str, exclude_pk: int | None = None) -> bool:
    found = SavedSearch.objects.filter(team=team, name__iexact=name)
    if exclude_pk is not None:
        found = found.exclude(pk=exclude_pk)
    return found.exists()


def saved_search_create(*, team, user, name: str, spec: BuildSpec) -> SavedSearch:
    name = name.strip()
    if _name_taken(team=team, name=name):
        raise SearchNameTaken(name)
    try:
        with transaction.atomic():
            return SavedSearch.objects.create(
                team=team, name=name, spec=spec.to_json(), created_by=user
            )
    except IntegrityError as exc:  # the same name saved at the same moment
        raise SearchNameTaken(name) from exc


def saved_search_rename(*, search: SavedSearch, name: str) -> SavedSearch:
    name = name.strip()
    if _name_taken(team=search.team, name=name, exclude_pk=search.pk):
        raise SearchNameTaken(name)
    search.name = name
    try:
        with transaction.atomic():
            search.save(update_fields=["name", "updated_at"])
    except IntegrityError as exc:
        raise SearchNameTaken(name) from exc
    return search


def saved_search_delete(*, search: SavedSearch) -> None:
    search.delete()
