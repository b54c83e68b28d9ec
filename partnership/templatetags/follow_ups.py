"""The case page's panel for the appointments after the first: each with its outcome form while
booked, the count of attended Core appointments, and a warning when the case is past the team's
review flag. Four queries whatever the number of appointments and clinicians."""

from django import template
from django.db.models import Prefetch

from diary import follow_ups
from diary.forms import OutcomeForm
from diary.models import Appointment, AppointmentKind, AppointmentStatus, ClinicianTime
from partnership.models import CaseState
from planning.queries import planning_settings

register = template.Library()


@register.inclusion_tag("partnership/_case_follow_ups.html", takes_context=True)
def follow_ups_panel(context, case):
    team = context.get("team")
    can_book = context.get("can_book")
    appointments = list(
        Appointment.objects.filter(case=case, kind=AppointmentKind.FOLLOW_UP)
        .select_related("venue", "booked_by", "outcome_by")
        .prefetch_related(
            Prefetch(
                "times",
                queryset=ClinicianTime.objects.select_related("clinician").order_by(
                    "clinician__last_name", "clinician__first_name", "pk"
                ),
            )
        )
        .order_by("starts_at", "pk")
    )
    rows = [
        {
            "appointment": appointment,
            "clinicians": appointment.clinicians,
            "outcome_form": (
                OutcomeForm(auto_id=f"follow-up-{appointment.pk}-%s")
                if can_book and appointment.status == AppointmentStatus.BOOKED
                else None
            ),
        }
        for appointment in appointments
    ]
    settings = planning_settings(team if team is not None else case.team)
    count = follow_ups.appointment_counts([case])[case.pk]
    return {
        "case": case,
        "team": team,
        "can_book": can_book,
        "rows": rows,
        "count": count,
        "flag": settings.core_appointments_flag,
        "review_every": settings.core_review_every,
        "past_flag": follow_ups.past_appointment_flag(count, settings),
        "may_book": bool(can_book) and case.state == CaseState.IN_PARTNERSHIP,
    }
