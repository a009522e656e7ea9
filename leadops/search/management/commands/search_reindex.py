"""`manage.py search_reindex [--team NAME]`: build the search index again from every
finished job (after an upgrade that adds a source, or to repair it). Safe to rerun."""

from django.core.management.base import BaseCommand, CommandError

from leadops.accounts.models import Team
from leadops.search.services import search_reindex


class Command(BaseCommand):
    help = "Index every finished job's rows for search again (one team with --team)."

    def add_arguments(self, parser):
        parser.add_argument("--team", help="The team's name (default: every team)")

    def handle(self, *args, team=None, **options):
        chosen = None
        if team:
            chosen = Team.objects.filter(name=team).first()
            if chosen is None:
                raise CommandError(f"No team named {team!r}")
        counts = search_reindex(team=chosen)
        for source, entries in counts.items():
            self.stdout.write(f"{source}: {entries:,} entries")
