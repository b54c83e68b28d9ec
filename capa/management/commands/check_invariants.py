"""`manage.py check_invariants`: is the data still what capa promises? A readable report, and exit
code 1 when anything is broken (0 when all holds), for operators and for the fault tests."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from capa import invariants


class Command(BaseCommand):
    help = "Check no double booking, no half booking, unique targets, case states and dashboard totals."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--limit", type=int, default=20, help="breaches shown per check (20)")
        parser.add_argument(
            "--only",
            action="append",
            choices=[name for name, _, _ in invariants.CHECKS],
            help="run only this check (may be repeated)",
        )

    def handle(self, *args, limit: int, only: list[str] | None, **options) -> None:
        if limit < 1:
            raise CommandError("--limit must be at least 1.")
        results = invariants.check(limit=limit, only=only)
        for result in results:
            if result.holds:
                self.stdout.write(self.style.SUCCESS(f"OK      {result.name}: {result.description}"))
                continue
            self.stdout.write(self.style.ERROR(f"BROKEN  {result.name}: {result.description}"))
            for breach in result.breaches:
                self.stdout.write(f"          - {breach}")
            if len(result.breaches) == limit:
                self.stdout.write(f"          (the first {limit}; --limit shows more)")
        broken = [r.name for r in results if not r.holds]
        if broken:
            raise CommandError(f"{len(broken)} of {len(results)} invariants broken: {', '.join(broken)}.")
        self.stdout.write(f"All {len(results)} invariants hold.")
