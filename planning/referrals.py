"""Writing the team's expected accepted referrals a week, per quarter."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction

from accounts.models import Team, User
from planning.models import ReferralRate


@transaction.atomic(durable=True)
def set_referral_rate(
    *, team: Team, quarter_start: date, referrals_per_week: Decimal, by: User
) -> ReferralRate:
    """Record the accepted referrals a week the lead expects for a quarter (replacing an earlier
    figure for the same quarter; the audit trail keeps the old one)."""
    rate, _ = ReferralRate.objects.update_or_create(
        team=team,
        quarter_start=quarter_start,
        defaults={"referrals_per_week": referrals_per_week, "entered_by": by},
    )
    return rate
