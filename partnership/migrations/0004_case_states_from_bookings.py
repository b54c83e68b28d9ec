"""Cases opened before case tracking were opened at the end of Choice with Core agreed: put each
in the state its first Core booking says."""

from django.db import migrations


def set_states(apps, schema_editor):
    Case = apps.get_model("partnership", "Case")
    Appointment = apps.get_model("diary", "Appointment")
    for case in Case.objects.filter(state="referred").iterator():
        first_core = (
            Appointment.objects.filter(case=case, kind="first_core", status__in=["booked", "attended"])
            .values_list("status", flat=True)
            .first()
        )
        case.state = {"booked": "first_core_booked", "attended": "in_partnership"}.get(
            first_core, "awaiting_first_core"
        )
        case.choice_outcome = "core"
        case.accepted_on = case.referral_date
        case.save(update_fields=["state", "choice_outcome", "accepted_on"])


class Migration(migrations.Migration):
    dependencies = [
        ("partnership", "0003_case_journey"),
        ("diary", "0005_follow_ups_and_choice"),
    ]

    operations = [migrations.RunPython(set_states, migrations.RunPython.noop)]
