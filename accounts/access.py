"""Who may see and change what. Every view asks here; nothing else decides.

Rules, one per line so they can be read and audited:
- An admin sees every team of the organisation(s) they administer.
- A team lead and a clinician see their own team(s) only.
- Another team's record is a 404 (its existence is not disclosed); a record the user can see but
  their role may not change is a 403.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.models import Membership, Role, Team, User


def _memberships(user: User) -> list[tuple[str, int | None, int | None]]:
    """The user's memberships as (role, team id, organisation id), read once a request (cached on
    the user object): a handful of rows, so a team page decides who may do what in Python rather
    than in a query with a subquery for each question. Django gives each request a user object
    of its own; code that keeps one across a change of memberships (a shell, a test) must delete
    `_capa_memberships` and `_capa_roles` from it."""
    if not hasattr(user, "_capa_memberships"):
        user._capa_memberships = list(
            Membership.objects.filter(user=user).values_list("role", "team_id", "organisation_id")
        )
    return user._capa_memberships


def roles_of(user: User) -> set[str]:
    """The roles a user holds anywhere (cached on the user object for the request)."""
    if not user.is_authenticated:
        return set()
    if not hasattr(user, "_capa_roles"):
        user._capa_roles = {role for role, _team, _organisation in _memberships(user)}
    return user._capa_roles


def is_admin(user: User) -> bool:
    return Role.ADMIN in roles_of(user)


def is_team_lead(user: User) -> bool:
    return Role.TEAM_LEAD in roles_of(user)


def is_clinician(user: User) -> bool:
    return Role.CLINICIAN in roles_of(user)


def visible_teams(user: User) -> QuerySet[Team]:
    """The teams whose people, diary and plans the user may see."""
    if not user.is_authenticated:
        return Team.objects.none()
    return Team.objects.filter(
        Q(organisation__admin_memberships__user=user)
        | Q(memberships__user=user, memberships__role__in=[Role.CLINICIAN, Role.TEAM_LEAD])
    ).distinct()


def _standing(user: User, team: Team, name: str) -> bool | None:
    """The annotation `name` if `team` was fetched for this user by `get_team_for_user`."""
    if getattr(team, "viewer_id", None) != user.pk:
        return None
    return getattr(team, name)


def led_teams(user: User) -> QuerySet[Team]:
    """The teams whose job plans and diary the user may change as their lead (admins: all)."""
    if not user.is_authenticated:
        return Team.objects.none()
    return Team.objects.filter(
        Q(organisation__admin_memberships__user=user)
        | Q(memberships__user=user, memberships__role=Role.TEAM_LEAD)
    ).distinct()


def get_team_for_user(user: User, team_id: int) -> Team:
    """The team, if the user may see it; otherwise 404, as if it did not exist."""
    if not user.is_authenticated:
        raise Http404("No such team.")
    try:
        team = Team.objects.select_related("organisation").get(pk=team_id)
    except Team.DoesNotExist:
        raise Http404("No such team.") from None
    # Whether the user is one of the team's people, one of its leads, or an admin over it: the
    # page's later questions (`belongs_to_team`, `leads_team`, `administers`) read these.
    mine = _memberships(user)
    team.viewer_is_member = any(
        t == team.pk and role in (Role.CLINICIAN, Role.TEAM_LEAD) for role, t, _organisation in mine
    )
    team.viewer_is_lead = any(t == team.pk and role == Role.TEAM_LEAD for role, t, _organisation in mine)
    team.viewer_is_admin = any(
        role == Role.ADMIN and organisation == team.organisation_id for role, _team, organisation in mine
    )
    if not (team.viewer_is_member or team.viewer_is_admin):
        raise Http404("No such team.")
    team.viewer_id = user.pk
    return team


def get_organisation_teams_for_admin(user: User) -> QuerySet[Team]:
    """Every team the admin oversees; a user who is not an admin may not list teams (403)."""
    if not is_admin(user):
        raise PermissionDenied("Only admins see every team of the organisation.")
    return visible_teams(user)


def leads_team(user: User, team: Team) -> bool:
    known = _standing(user, team, "viewer_is_lead")
    if known is not None:
        return known
    return Membership.objects.filter(user=user, team=team, role=Role.TEAM_LEAD).exists()


def administers(user: User, team: Team) -> bool:
    known = _standing(user, team, "viewer_is_admin")
    if known is not None:
        return known
    return Membership.objects.filter(
        user=user, role=Role.ADMIN, organisation_id=team.organisation_id
    ).exists()


def get_team_for_capacity(user: User, team_id: int) -> Team:
    """A team whose capacity the user may see: its leads and admins. Another team is a 404; a
    clinician of the team gets 403 (they see their own plan instead)."""
    team = get_team_for_user(user, team_id)
    if not (administers(user, team) or leads_team(user, team)):
        raise PermissionDenied("Only the team's leads and admins see its capacity.")
    return team


def get_team_for_job_planning(user: User, team_id: int) -> Team:
    """A team whose job plans the user may write: its own leads only (admins see, leads decide)."""
    team = get_team_for_user(user, team_id)
    if not leads_team(user, team):
        raise PermissionDenied("Only the team's leads change its job plans.")
    return team


def get_clinician_in_team(team: Team, clinician_id: int) -> User:
    """A person with a clinician profile in the team; anyone else is a 404."""
    try:
        return User.objects.select_related("clinician_profile").get(
            pk=clinician_id,
            memberships__team=team,
            memberships__role__in=[Role.CLINICIAN, Role.TEAM_LEAD],
            clinician_profile__isnull=False,
        )
    except User.DoesNotExist:
        raise Http404("No such clinician in this team.") from None


def get_plan_owner_for_user(user: User, team_id: int, clinician_id: int) -> tuple[Team, User]:
    """A clinician's job plan, read-only: the clinician themself, the team's leads and admins.
    A colleague's plan is 403; another team's is 404."""
    team = get_team_for_user(user, team_id)
    clinician = get_clinician_in_team(team, clinician_id)
    if clinician.pk == user.pk or leads_team(user, team) or administers(user, team):
        return team, clinician
    raise PermissionDenied("Clinicians see their own job plan only.")


def belongs_to_team(user: User, team: Team) -> bool:
    known = _standing(user, team, "viewer_is_member")
    if known is not None:
        return known
    return Membership.objects.filter(user=user, team=team, role__in=[Role.CLINICIAN, Role.TEAM_LEAD]).exists()


def get_team_for_diary(user: User, team_id: int) -> Team:
    """The team's diary and cases: its own clinicians and leads, and admins. Another team is 404."""
    team = get_team_for_user(user, team_id)
    if not (belongs_to_team(user, team) or administers(user, team)):
        raise PermissionDenied("Only the team's people and admins see its diary.")
    return team


def get_team_for_booking(user: User, team_id: int) -> Team:
    """Booking and opening cases: the team's own clinicians and leads (admins see, clinicians book)."""
    team = get_team_for_user(user, team_id)
    if not belongs_to_team(user, team):
        raise PermissionDenied("Only the team's clinicians and leads book its diary.")
    return team


def get_slots_owner_for_user(user: User, team_id: int, clinician_id: int) -> tuple[Team, User]:
    """A clinician's slots: the clinician themself and the team's leads put them in and remove
    them; a colleague gets 403; another team 404."""
    team = get_team_for_user(user, team_id)
    clinician = get_clinician_in_team(team, clinician_id)
    if clinician.pk == user.pk or leads_team(user, team):
        return team, clinician
    raise PermissionDenied("Clinicians put in and remove their own slots; leads anyone's in their team.")


def may_change_slot(user: User, team: Team, clinician_ids: set[int]) -> bool:
    return user.pk in clinician_ids or leads_team(user, team)
