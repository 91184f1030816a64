"""The core of the platform: who organises (organisations, regions, profiles) and what (events, rounds).

Invariants that must hold whatever code writes the rows are database constraints; rules that need
context (who may do what, which transitions are legal) live in ``services.py`` and ``selectors.py``.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

ADULT_AGE = 18  # Vietnamese civil law: a person under 18 needs a guardian's consent (Decree 13/2023, art. 20).


def window_phase(opens_at: dt.datetime, closes_at: dt.datetime, now: dt.datetime) -> str:
    """ "upcoming", "running" or "ended" by the clock, independent of any organiser's state."""
    if now < opens_at:
        return "upcoming"
    if now < closes_at:
        return "running"
    return "ended"


class Region(models.Model):
    """An administrative unit in a tree: province → district → commune. Data, never code."""

    class Level(models.TextChoices):
        PROVINCE = "province", _("Province")
        DISTRICT = "district", _("District")
        COMMUNE = "commune", _("Commune")

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=120)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return self.name

    @property
    def path(self) -> str:
        """ "Commune, District, Province": the name as people write an address."""
        parts, node = [], self
        while node is not None:
            parts.append(node.name)
            node = node.parent
        return ", ".join(parts)


class Organisation(models.Model):
    """A department, school, library or district office that runs events or is a unit in unit boards.

    ``headcount`` (staff or pupils) and ``group`` (khối: e.g. "Primary schools", "Departments") let unit
    prizes compare participation rates between comparable units.
    """

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    code = models.CharField(_("code"), max_length=40, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent organisation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="units",
    )
    region = models.ForeignKey(
        Region, verbose_name=_("region"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    group = models.CharField(_("group (khối)"), max_length=120, blank=True)
    headcount = models.PositiveIntegerField(_("headcount"), null=True, blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="organisations", verbose_name=_("members")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "code"], condition=~Q(code=""), name="organisation_unique_code_per_parent"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user's role in an organisation. Organisers manage its events; judges score what they are assigned."""

    class Role(models.TextChoices):
        ORGANISER = "organiser", _("Organiser")
        JUDGE = "judge", _("Judge")
        TEACHER = "teacher", _("Teacher (may host live games)")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=12, choices=Role.choices, default=Role.ORGANISER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation", "role"], name="membership_unique_role"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.organisation} · {self.get_role_display()}"


class Category(models.TextChoices):
    PUPIL = "pupil", _("Pupil")
    STUDENT = "student", _("Student")
    TEACHER = "teacher", _("Teacher")
    CIVIL_SERVANT = "civil_servant", _("Civil servant")
    WORKER = "worker", _("Worker")
    CITIZEN = "citizen", _("Citizen")


class Profile(models.Model):
    """What a contest needs to know about a participant, and their consents (Decree 13/2023/NĐ-CP)."""

    class PublicName(models.TextChoices):
        FULL = "full", _("Full name")
        INITIALS = "initials", _("Initials only")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    full_name = models.CharField(_("full name"), max_length=120, blank=True)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    # E.164 ("+84912345678") or NULL; unique because a contest allows one account per phone number.
    phone = models.CharField(_("phone number"), max_length=20, unique=True, null=True, blank=True)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation / school"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="participants",
    )
    organisation_name = models.CharField(_("organisation / school (if not listed)"), max_length=200, blank=True)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices, blank=True)
    public_name = models.CharField(
        _("name on public boards"), max_length=10, choices=PublicName.choices, default=PublicName.INITIALS
    )
    data_consent_at = models.DateTimeField(_("personal data consent given at"), null=True, blank=True)
    guardian_name = models.CharField(_("guardian's full name"), max_length=120, blank=True)
    guardian_consent_at = models.DateTimeField(_("guardian consent given at"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")

    def __str__(self) -> str:
        return self.full_name or str(self.user)

    def age_on(self, day: dt.date) -> int | None:
        if self.date_of_birth is None:
            return None
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    @property
    def is_minor(self) -> bool:
        age = self.age_on(timezone.localdate())
        return age is not None and age < ADULT_AGE

    @property
    def is_complete(self) -> bool:
        """Complete = enough to take part: identity, contact, place, category and valid consents."""
        required = [self.full_name, self.date_of_birth, self.phone, self.region_id, self.category]
        if not all(required) or self.data_consent_at is None:
            return False
        return not self.is_minor or self.guardian_consent_at is not None

    @property
    def display_name(self) -> str:
        """The name shown on public boards, as the participant chose."""
        name = self.full_name or self.user.get_username()
        if self.public_name == self.PublicName.FULL:
            return name
        return " ".join(f"{part[0]}." for part in name.split() if part)


class Event(models.Model):
    """A contest, playground or forum run by one organisation, made of ordered rounds."""

    class Kind(models.TextChoices):
        CONTEST = "contest", _("Contest")
        PLAYGROUND = "playground", _("Playground")
        FORUM = "forum", _("Forum")

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")
        RESULTS_PUBLISHED = "results_published", _("Results published")

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Public: listed on the home page")
        UNLISTED = "unlisted", _("Unlisted: anyone with the link")
        INVITE = "invite", _("Invite code required")

    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organiser"), on_delete=models.PROTECT, related_name="events"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.CONTEST)
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    description = models.TextField(_("description"), blank=True, help_text=_("Markdown."))
    rules = models.TextField(_("rules"), blank=True, help_text=_("Markdown."))
    banner = models.ImageField(_("banner"), upload_to="banners/", blank=True)
    opens_at = models.DateTimeField(_("opens at"))
    closes_at = models.DateTimeField(_("closes at"))
    eligible_categories = models.JSONField(_("eligible categories"), default=list, blank=True)
    eligible_regions = models.ManyToManyField(Region, verbose_name=_("eligible regions"), blank=True, related_name="+")
    min_age = models.PositiveSmallIntegerField(_("minimum age"), null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(_("maximum age"), null=True, blank=True)
    visibility = models.CharField(_("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC)
    invite_code = models.CharField(_("invite code"), max_length=40, blank=True)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["opens_at", "title"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        constraints = [
            models.CheckConstraint(condition=Q(closes_at__gt=models.F("opens_at")), name="event_closes_after_opens"),
            models.CheckConstraint(
                condition=Q(min_age__isnull=True) | Q(max_age__isnull=True) | Q(max_age__gte=models.F("min_age")),
                name="event_age_range_ordered",
            ),
        ]
        indexes = [models.Index(fields=["state", "visibility", "opens_at"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("event_detail", kwargs={"slug": self.slug})

    def clean(self) -> None:
        if self.opens_at and self.closes_at and self.opens_at >= self.closes_at:
            raise ValidationError({"closes_at": _("An event must close after it opens.")})
        if self.min_age is not None and self.max_age is not None and self.max_age < self.min_age:
            raise ValidationError({"max_age": _("The maximum age must not be below the minimum age.")})

    @property
    def eligible_category_labels(self) -> list[str]:
        return [str(Category(c).label) for c in self.eligible_categories]

    def phase(self, now: dt.datetime) -> str:
        return window_phase(self.opens_at, self.closes_at, now)


class Round(models.Model):
    """One ordered step of an event: a self-paced quiz, a live quiz or a read-aloud round.

    Kind-specific settings (quiz, rubric, …) belong to the apps that run each kind; this row carries
    what every kind shares: order, window and weight in the event total.
    """

    class Kind(models.TextChoices):
        QUIZ = "quiz", _("Online quiz (self-paced, timed)")
        LIVE = "live", _("Live quiz")
        READING = "reading", _("Read-aloud entries")
        FORUM = "forum", _("Forum contributions")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="rounds")
    position = models.PositiveSmallIntegerField(_("position"))
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    description = models.TextField(_("description"), blank=True, help_text=_("Markdown."))
    opens_at = models.DateTimeField(_("opens at"))
    closes_at = models.DateTimeField(_("closes at"))
    weight = models.DecimalField(_("weight in the event total"), max_digits=6, decimal_places=2, default=1)

    class Meta:
        ordering = ["event", "position"]
        verbose_name = _("round")
        verbose_name_plural = _("rounds")
        constraints = [
            models.UniqueConstraint(fields=["event", "position"], name="round_unique_position"),
            models.CheckConstraint(condition=Q(closes_at__gt=models.F("opens_at")), name="round_closes_after_opens"),
            models.CheckConstraint(condition=Q(weight__gte=0), name="round_weight_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.event} · {self.title}"

    def get_absolute_url(self) -> str | None:
        """The round's own page, served by the app of its kind (convention: URL name "<kind>_round").

        Looked up by name so that this core app imports none of the apps that build on it.
        """
        try:
            return reverse(f"{self.kind}_round", kwargs={"round_id": self.pk})
        except NoReverseMatch:
            return None

    def get_settings_url(self) -> str | None:
        """The organiser's settings page of the round's kind (convention: "organiser_<kind>_round")."""
        try:
            return reverse(f"organiser_{self.kind}_round", kwargs={"round_id": self.pk})
        except NoReverseMatch:
            return None

    def clean(self) -> None:
        """A round's window lies inside its event's: the event page promises no activity outside it."""
        if self.opens_at and self.closes_at and self.opens_at >= self.closes_at:
            raise ValidationError({"closes_at": _("A round must close after it opens.")})
        event = self.event if self.event_id else None
        outside = (
            event
            and self.opens_at
            and self.closes_at
            and (self.opens_at < event.opens_at or self.closes_at > event.closes_at)
        )
        if outside:
            raise ValidationError(_("The round's window must lie inside the event's window."))

    def phase(self, now: dt.datetime) -> str:
        return window_phase(self.opens_at, self.closes_at, now)


class EventTransition(models.Model):
    """Audit trail of an event's state changes: who moved it, from what, to what, when."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="transitions")
    from_state = models.CharField(max_length=20, choices=Event.State.choices)
    to_state = models.CharField(max_length=20, choices=Event.State.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.event}: {self.from_state} → {self.to_state}"


class ClassAccount(models.Model):
    """An account a teacher or unit organiser created for a pupil from a class list (issue 16).

    The pupil signs in with the username and the temporary password printed on their login card, and must
    choose their own password before anything else (``must_change_password``). The unit's teachers see
    and manage only their unit's pupils.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="class_account")
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="class_accounts"
    )
    class_name = models.CharField(_("class"), max_length=40)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField()
    must_change_password = models.BooleanField(default=True)
    password_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["organisation", "class_name", "user__profile__full_name", "pk"]
        verbose_name = _("class account")
        verbose_name_plural = _("class accounts")

    def __str__(self) -> str:
        return f"{self.user.get_username()} · {self.class_name}"


class ConsentRecord(models.Model):
    """A consent given on paper and recorded by someone else: for a minor, the guardian's signed form,
    recorded by the teacher with the form's reference and date. Kept as such (who recorded it, when, from
    which form), never as the minor's own tick; the profile's ``guardian_consent_at`` follows it."""

    class Kind(models.TextChoices):
        GUARDIAN = "guardian", _("Guardian consent for a minor")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="consent_records")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.GUARDIAN)
    guardian_name = models.CharField(_("guardian's full name"), max_length=120)
    reference = models.CharField(_("consent form reference"), max_length=80)
    form_date = models.DateField(_("date on the consent form"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["user", "-recorded_at", "-pk"]
        verbose_name = _("recorded consent")
        verbose_name_plural = _("recorded consents")

    def __str__(self) -> str:
        return f"{self.user_id} · {self.kind} · {self.reference}"


class ConsentKind(models.TextChoices):
    DATA_PROCESSING = "data", _("Processing of my personal data")
    GUARDIAN = "guardian", _("My parent's or guardian's consent")


class ConsentEvent(models.Model):
    """The one history of a person's consents (Decree 13/2023/NĐ-CP): every change, given or withdrawn,
    with its time and who recorded it, whatever the way (the profile's ticks, a withdrawal on My data, an
    account's erasure, a guardian's paper form recorded by a teacher). Written only by
    ``contests.services.consent_change``.

    ``Profile.data_consent_at`` and ``guardian_consent_at`` are the *current* state that eligibility checks
    read; they cannot say when a consent ended, nor who recorded it. A paper form's details (guardian,
    reference, date) stay on its ``ConsentRecord``, which the event points at."""

    class Action(models.TextChoices):
        GIVEN = "given", _("Given")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="consent_events")
    kind = models.CharField(max_length=10, choices=ConsentKind.choices)
    action = models.CharField(max_length=10, choices=Action.choices)
    at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    paper_form = models.ForeignKey(
        ConsentRecord, null=True, blank=True, on_delete=models.SET_NULL, related_name="events", editable=False
    )

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["user", "at"], name="consentevent_user_at")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.action} {self.at:%Y-%m-%d %H:%M}"
