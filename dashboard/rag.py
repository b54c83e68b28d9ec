"""Red, amber or green for a team's quarter, with the reason in words, against the team's own
thresholds (PlanningSettings): waits, slots offered against target, lost capacity not re-offered,
and the balance of Core targets against referrals."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from dashboard.quarterly import TeamActivity
from planning.models import PlanningSettings

RED, AMBER, GREEN = "red", "amber", "green"
# Below this share of their target, a team's slots are red rather than amber.
RED_BELOW_SHARE_OF_TARGET = 0.75


@dataclass(frozen=True)
class Rating:
    colour: str
    reasons: tuple[str, ...]

    @property
    def words(self) -> str:
        return "; ".join(self.reasons) + "."


def _weeks(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def rate(activity: TeamActivity, settings: PlanningSettings) -> Rating:
    red: list[str] = []
    amber: list[str] = []
    for name, waits in (
        ("referral to Choice", activity.referral_to_choice),
        ("Choice to first Core", activity.choice_to_first_core),
    ):
        weeks = waits.median_weeks
        if weeks is None:
            continue
        if weeks >= settings.wait_red_weeks:
            red.append(f"median wait {name} {_weeks(weeks)} weeks (red from {settings.wait_red_weeks})")
        elif weeks >= settings.wait_amber_weeks:
            amber.append(f"median wait {name} {_weeks(weeks)} weeks (amber from {settings.wait_amber_weeks})")
    offered, target = activity.slots.offered, activity.target
    if target and offered < target:
        words = f"{offered} first Core slots offered against a target of {target}"
        (red if offered < RED_BELOW_SHARE_OF_TARGET * target else amber).append(words)
    not_reoffered = (
        activity.slots.left_unbooked + activity.slots.dna + activity.slots.lost - activity.slots.reoffered
    )
    if not_reoffered > 0:
        amber.append(f"{not_reoffered} lost or unbooked slots not re-offered")
    ratio, low = activity.balance_ratio, Fraction(str(settings.balance_ratio_low))
    if ratio is not None and ratio < low:
        amber.append(
            f"Core targets are {float(ratio):.1f} times weekly referrals (balanced from {float(low):g})"
        )
    if red:
        return Rating(RED, tuple(red + amber))
    if amber:
        return Rating(AMBER, tuple(amber))
    return Rating(GREEN, ("slots offered meet the target and waits are within the thresholds",))
