from django.urls import path

from .views import classes, health, organiser, profile, public

urlpatterns = [
    path("", public.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("events/<slug:slug>/", public.event_detail, name="event_detail"),
    path("events/<slug:slug>/unlock/", public.event_unlock, name="event_unlock"),
    path("events/<slug:slug>/banner/", public.event_banner, name="event_banner"),
    path("profile/", profile.profile_edit, name="profile_edit"),
    path("organiser/", organiser.dashboard, name="organiser_dashboard"),
    path("organiser/events/new/", organiser.event_create, name="organiser_event_create"),
    path("organiser/events/<int:event_id>/", organiser.event_manage, name="organiser_event"),
    path("organiser/events/<int:event_id>/edit/", organiser.event_edit, name="organiser_event_edit"),
    path("organiser/events/<int:event_id>/state/", organiser.event_transition, name="organiser_event_transition"),
    path("organiser/events/<int:event_id>/rounds/new/", organiser.round_create, name="organiser_round_create"),
    path("organiser/rounds/<int:round_id>/edit/", organiser.round_edit, name="organiser_round_edit"),
    path("organiser/rounds/<int:round_id>/delete/", organiser.round_delete, name="organiser_round_delete"),
    path("organiser/rounds/<int:round_id>/move/", organiser.round_move, name="organiser_round_move"),
    path("organiser/organisations/<slug:slug>/", organiser.organisation_edit, name="organiser_organisation"),
    path("organiser/organisations/<slug:slug>/roster/", organiser.roster_import, name="organiser_roster_import"),
    path(
        "organiser/organisations/<slug:slug>/roster/template.xlsx",
        organiser.roster_template_download,
        name="organiser_roster_template",
    ),
    # Class accounts (issue 16)
    path("class-login/", classes.class_sign_in, name="class_sign_in"),
    path("class-login/password/", classes.class_password, name="class_password"),
    path("organiser/classes/", classes.class_units, name="class_units"),
    path("organiser/classes/<slug:slug>/", classes.class_unit, name="class_unit"),
    path("organiser/classes/<slug:slug>/template.xlsx", classes.class_list_template_download, name="class_template"),
    path("organiser/classes/<slug:slug>/cards.pdf", classes.class_cards, name="class_cards"),
    path("organiser/classes/<slug:slug>/reset/", classes.class_reset, name="class_reset"),
    path("organiser/classes/<slug:slug>/pupils/<int:account_id>/consent/", classes.class_consent, name="class_consent"),
]
