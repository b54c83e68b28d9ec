from django.core.management.base import BaseCommand

from accounts.demo import DEMO_PASSWORD, seed_demo


class Command(BaseCommand):
    help = "Create or refresh the demo trust (idempotent) and print the demo logins."

    def handle(self, *args, **options):
        logins = seed_demo()
        self.stdout.write(
            self.style.SUCCESS(f"Demo data is ready. Demo logins (password for all: {DEMO_PASSWORD}):")
        )
        for login in logins:
            self.stdout.write(f"  {login.username:<18} {login.role:<30} {login.where}")
