from django.core.management.base import BaseCommand
from django.utils import timezone

from accounts.demo import DEMO_PASSWORD, seed_demo
from diary.demo import demo_diary_counts, seed_diary_demo
from partnership.demo import seed_case_demo
from planning import capacity
from planning.demo import demo_balances, seed_planning_demo


class Command(BaseCommand):
    help = (
        "Create or refresh the demo trust, its job planning, this quarter's Partnership diary and a "
        "year of families (idempotent) and print the demo logins."
    )

    def handle(self, *args, **options):
        # Three steps, not one transaction: job plans, slots and bookings are written by durable
        # domain functions.
        logins = seed_demo()
        today = timezone.localdate()
        seed_planning_demo(today=today)
        seed_diary_demo(today=today)
        seed_case_demo(today=today)
        self.stdout.write(
            self.style.SUCCESS(f"Demo data is ready. Demo logins (password for all: {DEMO_PASSWORD}):")
        )
        for login in logins:
            self.stdout.write(f"  {login.username:<18} {login.role:<30} {login.where}")
        self.stdout.write("Team balance this quarter:")
        for team, quarter in demo_balances(today=today):
            ratio = quarter.figures.ratio
            said = "" if ratio is None else f" (ratio {capacity.one_decimal(ratio)})"
            self.stdout.write(f"  {team.name}: {quarter.balance_words}{said}")
        self.stdout.write("Partnership diary this quarter:")
        for counts in demo_diary_counts(today=today):
            self.stdout.write(
                f"  {counts.team.name}: {counts.slots} first Core slots put in, {counts.booked} booked"
            )
