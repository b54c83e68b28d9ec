"""Outcome measures of a case: scores of the organisation's measures (SDQ, C-GAS, HoNOSCA,
goal-based outcomes) at the start, at reviews and at the end, and how each has changed.

One start and one end score per case and measure (the database refuses a second); reviews may be
scored as often as the goals are reviewed. A measure says whether a higher score is better, so the
change is read the right way round.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Prefetch, prefetch_related_objects
from django.utils import timezone

from accounts.models import Organisation, User
from capa.templatetags.nhsuk import uk_date
from partnership.cases import CaseError
from partnership.models import Case, MeasurePoint, OutcomeMeasure, OutcomeScore

# name, lowest, highest, higher is better
DEFAULT_MEASURES: list[tuple[str, Decimal, Decimal, bool]] = [
    ("SDQ", Decimal("0"), Decimal("40"), False),
    ("C-GAS", Decimal("1"), Decimal("100"), True),
    ("HoNOSCA", Decimal("0"), Decimal("52"), False),
    ("Goal-based outcomes", Decimal("0"), Decimal("10"), True),
]

MESSAGES = {
    "measure": "Choose one of the measures your organisation uses.",
    "point": "Choose start, review or end.",
    "score": "Enter a score from {lowest} to {highest} for {measure}.",
    "score_places": "Enter the score to at most one decimal place.",
    "in_future": "The date cannot be in the future.",
    "before_referral": "The date cannot be before the referral on {referral}.",
    "before_start": "The date cannot be before the start score on {start}.",
    "after_later": "A start score cannot come after the score already recorded on {later}.",
    "second": (
        "This case already has {a} {point} score for {measure} ({score} on {on}). "
        "Record a review score instead."
    ),
}


def as_number(value: Decimal) -> str:
    """A score as people write it: 45 rather than 45.0, 7.5 as it is."""
    return format(value.normalize(), "f") if value == value.to_integral_value() else str(value)


def ensure_default_measures(organisation: Organisation) -> list[OutcomeMeasure]:
    """The usual CAMHS measures for the organisation, made if missing (one it already has is kept
    as it is, even if switched off). Safe to run again."""
    made = []
    for name, lowest, highest, higher_is_better in DEFAULT_MEASURES:
        measure, _ = OutcomeMeasure.objects.get_or_create(
            organisation=organisation,
            name=name,
            defaults={"lowest": lowest, "highest": highest, "higher_is_better": higher_is_better},
        )
        made.append(measure)
    return made


def record_score(
    *,
    case: Case,
    measure: OutcomeMeasure,
    point: str,
    score: Decimal,
    scored_on: date,
    by: User,
) -> OutcomeScore:
    """Record one score of a measure for a case. Raises `CaseError` naming the field to fix, and
    writes nothing, for another organisation's or a switched-off measure, a score out of its range,
    a date in the future or before the referral, or a second start or end score."""
    if measure is None or measure.organisation_id != case.team.organisation_id or not measure.is_active:
        raise CaseError(MESSAGES["measure"], field="measure")
    if point not in MeasurePoint.values:
        raise CaseError(MESSAGES["point"], field="point")
    out_of_range = MESSAGES["score"].format(
        lowest=as_number(measure.lowest), highest=as_number(measure.highest), measure=measure.name
    )
    try:
        score = Decimal(score)
    except (InvalidOperation, TypeError, ValueError):
        raise CaseError(out_of_range, field="score") from None
    if not score.is_finite() or not measure.lowest <= score <= measure.highest:
        raise CaseError(out_of_range, field="score")
    if score != score.quantize(Decimal("0.1")):
        raise CaseError(MESSAGES["score_places"], field="score")
    if scored_on > timezone.localdate():
        raise CaseError(MESSAGES["in_future"], field="scored_on")
    if scored_on < case.referral_date:
        raise CaseError(
            MESSAGES["before_referral"].format(referral=uk_date(case.referral_date)), field="scored_on"
        )
    earlier = OutcomeScore.objects.filter(case=case, measure=measure)
    for other in earlier:
        if other.point == point and point in (MeasurePoint.START, MeasurePoint.END):
            raise CaseError(_second(other), field="point")
    start = next((other for other in earlier if other.point == MeasurePoint.START), None)
    if point != MeasurePoint.START and start and scored_on < start.scored_on:
        raise CaseError(MESSAGES["before_start"].format(start=uk_date(start.scored_on)), field="scored_on")
    if point == MeasurePoint.START:
        later = [other.scored_on for other in earlier if other.scored_on < scored_on]
        if later:
            raise CaseError(MESSAGES["after_later"].format(later=uk_date(min(later))), field="scored_on")
    try:
        with transaction.atomic():
            return OutcomeScore.objects.create(
                case=case,
                measure=measure,
                point=point,
                score=score.quantize(Decimal("0.1")),
                scored_on=scored_on,
                by=by,
            )
    except IntegrityError:  # someone recorded the same start or end score a moment ago
        other = OutcomeScore.objects.get(case=case, measure=measure, point=point)
        raise CaseError(_second(other), field="point") from None


def _second(other: OutcomeScore) -> str:
    point = other.get_point_display().lower()
    return MESSAGES["second"].format(
        a="an" if point[0] in "aeiou" else "a",
        point=point,
        measure=other.measure.name,
        score=as_number(other.score),
        on=uk_date(other.scored_on),
    )


@dataclass(frozen=True)
class ScoreChange:
    """How one measure has moved for a case: from the start score to the end score, or to the
    latest review while the case is open."""

    measure: OutcomeMeasure
    start: OutcomeScore | None
    latest_review: OutcomeScore | None
    end: OutcomeScore | None
    change: Decimal | None
    improved: bool | None

    @property
    def verdict(self) -> str:
        if self.change is None:
            return ""
        if self.change == 0:
            return "No change"
        return "Better" if self.improved else "Worse"


def scores_of(case: Case) -> list[OutcomeScore]:
    """The case's scores with their measures, in the order they were taken (one query)."""
    prefetch_related_objects(
        [case],
        Prefetch(
            "scores",
            queryset=OutcomeScore.objects.select_related("measure").order_by("scored_on", "pk"),
        ),
    )
    return list(case.scores.all())


def score_changes(case: Case) -> list[ScoreChange]:
    """One row per measure scored for the case, by measure name: the start score, the latest
    review, the end score, the change (end, else latest review, minus start) and whether that is
    an improvement given which way the measure runs (None when there is nothing to compare)."""
    by_measure: dict[int, list[OutcomeScore]] = {}
    for score in scores_of(case):
        by_measure.setdefault(score.measure_id, []).append(score)
    rows = []
    for scores in by_measure.values():
        measure = scores[0].measure
        start = next((s for s in scores if s.point == MeasurePoint.START), None)
        end = next((s for s in scores if s.point == MeasurePoint.END), None)
        reviews = [s for s in scores if s.point == MeasurePoint.REVIEW]
        latest_review = max(reviews, key=lambda s: (s.scored_on, s.pk)) if reviews else None
        compared = end or latest_review
        change = improved = None
        if start and compared:
            change = compared.score - start.score
            improved = change > 0 if measure.higher_is_better else change < 0
        rows.append(ScoreChange(measure, start, latest_review, end, change, improved))
    return sorted(rows, key=lambda row: row.measure.name.lower())
