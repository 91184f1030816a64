from django.urls import path

from .views import judge, organiser

urlpatterns = [
    # judging: the judge's pages
    path("judging/", judge.judging_home, name="judging_home"),
    path("judging/rounds/<int:round_id>/", judge.queue, name="judging_queue"),
    path("judging/assignments/<int:assignment_id>/", judge.score, name="judging_score"),
    path("judging/assignments/<int:assignment_id>/conflict/", judge.declare_conflict, name="judging_conflict"),
    path("judging/invitations/<str:token>/", judge.invitation, name="judging_invitation"),
    # judging: the organiser's pages
    path("organiser/rounds/<int:round_id>/reading/judging/", organiser.judging_settings, name="organiser_judging"),
    path("organiser/rounds/<int:round_id>/reading/judging/rubric/", organiser.rubric, name="organiser_judging_rubric"),
    path("organiser/rounds/<int:round_id>/reading/judging/judges/", organiser.judges, name="organiser_judging_judges"),
    path(
        "organiser/rounds/<int:round_id>/reading/judging/invitations/<int:invitation_id>/withdraw/",
        organiser.invitation_withdraw,
        name="organiser_judging_invitation_withdraw",
    ),
    path("organiser/rounds/<int:round_id>/reading/judging/assign/", organiser.assign, name="organiser_judging_assign"),
    path(
        "organiser/rounds/<int:round_id>/reading/judging/shortlist/",
        organiser.shortlist_close,
        name="organiser_judging_shortlist",
    ),
    path(
        "organiser/rounds/<int:round_id>/reading/judging/finalise/",
        organiser.finalise,
        name="organiser_judging_finalise",
    ),
    path("organiser/rounds/<int:round_id>/reading/judging/remind/", organiser.remind, name="organiser_judging_remind"),
    path(
        "organiser/rounds/<int:round_id>/reading/judging/progress/",
        organiser.progress,
        name="organiser_judging_progress",
    ),
    path("organiser/reading/judges/<int:judge_id>/", organiser.judge_edit, name="organiser_judging_judge"),
    path(
        "organiser/reading/judges/<int:judge_id>/remove/", organiser.judge_remove, name="organiser_judging_judge_remove"
    ),
    path("organiser/reading/entries/<int:entry_id>/judging/", organiser.entry_scores, name="organiser_judging_entry"),
    path(
        "organiser/reading/entries/<int:entry_id>/judging/add/",
        organiser.assignment_add,
        name="organiser_judging_assignment_add",
    ),
    path(
        "organiser/reading/assignments/<int:assignment_id>/withdraw/",
        organiser.assignment_withdraw,
        name="organiser_judging_assignment_withdraw",
    ),
]
