"""The care plan letter: written by the key worker after the family's first Core appointment, to
the family, the referrer and the agreed network, with the goals (from Choice, amended), the
formulation, the risk plan and the review date.

A letter is written once and sent once (`mark_sent` records when, by whom and to whom, as sent);
a later change of plan is a new letter. `letter_pdf` gives the letter as a PDF to print or attach.
"""

from __future__ import annotations

from datetime import date
from io import BytesIO
from xml.sax.saxutils import escape

from django.db import transaction
from django.db.models import Prefetch, prefetch_related_objects
from django.utils import timezone
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from accounts.models import User
from capa.templatetags.nhsuk import uk_date, uk_datetime
from partnership.cases import CaseError
from partnership.models import CarePlanLetter, Case, CaseState

NETWORK_LINE_LENGTH = 200
NETWORK_LINES = 20

MESSAGES = {
    "not_in_partnership": (
        "A care plan letter follows the family's first Core appointment: this case is {state}, "
        "so a letter cannot be written yet."
    ),
    "goals": "Write the goals agreed with the family.",
    "formulation": "Write the formulation.",
    "risk_plan": "Write the risk plan, even if it says there is no current risk.",
    "review_on": "The review date must be after today.",
    "nobody": "Choose who the letter goes to: the family, the referrer or someone in the network.",
    "network_line": "Each line of the network must be at most {length} characters.",
    "network_lines": "Name at most {count} people or services in the network, one a line.",
    "already_sent": "This letter was sent on {when} by {who}. To change the plan, write a new letter.",
}


def network_lines(network: str) -> list[str]:
    """The agreed network as recipients: one a line, blank lines and spaces around them dropped."""
    return [line.strip() for line in (network or "").splitlines() if line.strip()]


def recipients(letter: CarePlanLetter) -> list[str]:
    """Who the letter goes to, one a line: the family, the referrer and each of the network."""
    case = letter.case
    lines = []
    if letter.to_family:
        lines.append(f"The family of {case.child_name}")
    if letter.to_referrer:
        lines.append(case.referrer.strip() or "The referrer")
    lines.extend(network_lines(letter.network))
    return lines


def write_letter(
    *,
    case: Case,
    goals: str | None = None,
    formulation: str,
    risk_plan: str,
    review_on: date,
    to_family: bool = True,
    to_referrer: bool = True,
    network: str = "",
    by: User,
) -> CarePlanLetter:
    """Write the care plan letter of a case in Partnership (its first Core appointment attended).

    The goals default to those agreed at Choice. Raises `CaseError` naming the field to fix, and
    writes nothing, when the case is not in Partnership or the letter is incomplete."""
    if case.state != CaseState.IN_PARTNERSHIP:
        state = CaseState(case.state).label.lower()
        raise CaseError(MESSAGES["not_in_partnership"].format(state=state))
    goals = (goals or "").strip() or case.goals.strip()
    if not goals:
        raise CaseError(MESSAGES["goals"], field="goals")
    formulation = (formulation or "").strip()
    if not formulation:
        raise CaseError(MESSAGES["formulation"], field="formulation")
    risk_plan = (risk_plan or "").strip()
    if not risk_plan:
        raise CaseError(MESSAGES["risk_plan"], field="risk_plan")
    if review_on <= timezone.localdate():
        raise CaseError(MESSAGES["review_on"], field="review_on")
    lines = network_lines(network)
    if any(len(line) > NETWORK_LINE_LENGTH for line in lines):
        raise CaseError(MESSAGES["network_line"].format(length=NETWORK_LINE_LENGTH), field="network")
    if len(lines) > NETWORK_LINES:
        raise CaseError(MESSAGES["network_lines"].format(count=NETWORK_LINES), field="network")
    if not (to_family or to_referrer or lines):
        raise CaseError(MESSAGES["nobody"], field="to_family")
    return CarePlanLetter.objects.create(
        case=case,
        goals=goals,
        formulation=formulation,
        risk_plan=risk_plan,
        review_on=review_on,
        to_family=bool(to_family),
        to_referrer=bool(to_referrer),
        network="\n".join(lines),
        written_by=by,
    )


def mark_sent(*, letter: CarePlanLetter, by: User) -> CarePlanLetter:
    """Record that the letter was sent now, by `by`, to its recipients as they stand. A letter is
    sent once: sending it again is refused (a changed plan is a new letter)."""
    with transaction.atomic():
        current = (
            CarePlanLetter.objects.select_for_update(of=("self",))
            .select_related("case", "sent_by")
            .get(pk=letter.pk)
        )
        if current.sent_at is not None:
            raise CaseError(
                MESSAGES["already_sent"].format(when=uk_datetime(current.sent_at), who=current.sent_by)
            )
        sent_to = recipients(current)
        if not sent_to:
            raise CaseError(MESSAGES["nobody"])
        current.sent_at = timezone.now()
        current.sent_by = by
        current.sent_to = "\n".join(sent_to)
        current.save(update_fields=["sent_at", "sent_by", "sent_to"])
    letter.sent_at, letter.sent_by, letter.sent_to = current.sent_at, current.sent_by, current.sent_to
    return letter


def letters_of(case: Case) -> list[CarePlanLetter]:
    """The case's letters, oldest first, with their writers and senders (one query)."""
    prefetch_related_objects(
        [case],
        Prefetch("letters", queryset=CarePlanLetter.objects.select_related("written_by", "sent_by")),
    )
    return list(case.letters.all())


# --- The PDF ------------------------------------------------------------------------------------


def _paragraphs(text: str, style) -> list:
    return [Paragraph(escape(line) or "&nbsp;", style) for line in text.splitlines() or [""]]


def letter_pdf(letter: CarePlanLetter) -> bytes:
    """The letter as an A4 PDF: the team, the child, the recipients, the goals, the formulation,
    the risk plan and the review date (in the UK format used on every page of capa)."""
    case = letter.case
    team = case.team
    styles = getSampleStyleSheet()
    body, heading, title = styles["BodyText"], styles["Heading2"], styles["Title"]
    story: list = [
        Paragraph(escape(f"{team}, {team.organisation}"), body),
        Paragraph(escape(uk_date(letter.written_at)), body),
        Spacer(1, 4 * mm),
        Paragraph("To:", body),
        *[Paragraph(escape(line), body) for line in recipients(letter)],
        Spacer(1, 4 * mm),
        Paragraph(escape(f"Care plan for {case.child_name}"), title),
        Paragraph(
            escape(f"Date of birth {uk_date(case.child_date_of_birth)}. Reference {case.family_reference}."),
            body,
        ),
        Paragraph("Goals", heading),
        *_paragraphs(letter.goals, body),
        Paragraph("Formulation", heading),
        *_paragraphs(letter.formulation, body),
        Paragraph("Risk plan", heading),
        *_paragraphs(letter.risk_plan, body),
        Paragraph("Review", heading),
        Paragraph(escape(f"We will review the goals together on {uk_date(letter.review_on)}."), body),
        Spacer(1, 6 * mm),
        Paragraph(escape(f"Yours sincerely, {letter.written_by}, {team}"), body),
    ]
    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=f"Care plan letter: {case.child_name}",
        author=str(team),
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
    )
    document.build(story)
    return buffer.getvalue()
