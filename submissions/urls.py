from django.urls import path

from .views import gallery, judge, judging, media, organiser, participant

urlpatterns = [
    path("rounds/<int:round_id>/reading/", participant.reading_round_page, name="reading_round"),
    path("rounds/<int:round_id>/reading/entries/new/", participant.entry_create, name="reading_entry_create"),
    path("rounds/<int:round_id>/reading/gallery/", gallery.gallery, name="reading_gallery"),
    path("reading/entries/<int:entry_id>/", participant.entry_detail, name="reading_entry"),
    path("reading/entries/<int:entry_id>/edit/", participant.entry_update, name="reading_entry_update"),
    path("reading/entries/<int:entry_id>/status/", participant.entry_status, name="reading_entry_status"),
    path("reading/entries/<int:entry_id>/vote/", gallery.vote, name="reading_vote"),
    path("reading/media/<int:version_id>/<slug:part>/", media.version_file, name="reading_media"),
    # organiser area
    path("organiser/rounds/<int:round_id>/reading/", organiser.round_settings, name="organiser_reading_round"),
    path("organiser/rounds/<int:round_id>/reading/entries/", organiser.entry_queue, name="organiser_reading_entries"),
    path(
        "organiser/rounds/<int:round_id>/reading/originals.zip",
        organiser.originals_zip,
        name="organiser_reading_originals",
    ),
    path("organiser/reading/entries/<int:entry_id>/", organiser.entry_manage, name="organiser_reading_entry"),
    path(
        "organiser/reading/versions/<int:version_id>/requeue/",
        organiser.version_requeue,
        name="organiser_reading_requeue",
    ),
    # judging: the judge's pages
    path("judging/", judge.judging_home, name="judging_home"),
    path("judging/rounds/<int:round_id>/", judge.queue, name="judging_queue"),
    path("judging/assignments/<int:assignment_id>/", judge.score, name="judging_score"),
    path("judging/assignments/<int:assignment_id>/conflict/", judge.declare_conflict, name="judging_conflict"),
    path("judging/invitations/<str:token>/", judge.invitation, name="judging_invitation"),
    # judging: the organiser's pages
    path("organiser/rounds/<int:round_id>/reading/judging/", judging.judging_settings, name="organiser_judging"),
    path("organiser/rounds/<int:round_id>/reading/judging/rubric/", judging.rubric, name="organiser_judging_rubric"),
    path("organiser/rounds/<int:round_id>/reading/judging/judges/", judging.judges, name="organiser_judging_judges"),
    path(
        "organiser/rounds/<int:round_id>/reading/judging/invitations/<int:invitation_id>/withdraw/",
        judging.invitation_withdraw,
        name="organiser_judging_invitation_withdraw",
    ),
    path("organiser/rounds/<int:round_id>/reading/judging/assign/", judging.assign, name="organiser_judging_assign"),
    path(
        "organiser/rounds/<int:round_id>/reading/judging/shortlist/",
        judging.shortlist_close,
        name="organiser_judging_shortlist",
    ),
    path(
        "organiser/rounds/<int:round_id>/reading/judging/finalise/", judging.finalise, name="organiser_judging_finalise"
    ),
    path("organiser/rounds/<int:round_id>/reading/judging/remind/", judging.remind, name="organiser_judging_remind"),
    path(
        "organiser/rounds/<int:round_id>/reading/judging/progress/", judging.progress, name="organiser_judging_progress"
    ),
    path("organiser/reading/judges/<int:judge_id>/", judging.judge_edit, name="organiser_judging_judge"),
    path(
        "organiser/reading/judges/<int:judge_id>/remove/", judging.judge_remove, name="organiser_judging_judge_remove"
    ),
    path("organiser/reading/entries/<int:entry_id>/judging/", judging.entry_scores, name="organiser_judging_entry"),
    path(
        "organiser/reading/entries/<int:entry_id>/judging/add/",
        judging.assignment_add,
        name="organiser_judging_assignment_add",
    ),
    path(
        "organiser/reading/assignments/<int:assignment_id>/withdraw/",
        judging.assignment_withdraw,
        name="organiser_judging_assignment_withdraw",
    ),
]
