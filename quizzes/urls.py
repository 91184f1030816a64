from django.urls import path

from .views import organiser, participant, practice, review

urlpatterns = [
    path("rounds/<int:round_id>/quiz/", participant.quiz_round_page, name="quiz_round"),
    path("rounds/<int:round_id>/quiz/start/", participant.attempt_start, name="attempt_start"),
    path("attempts/<int:attempt_id>/", participant.attempt_take, name="attempt_take"),
    path("attempts/<int:attempt_id>/answer/", participant.attempt_answer, name="attempt_answer"),
    path("attempts/<int:attempt_id>/submit/", participant.attempt_submit, name="attempt_submit"),
    path("attempts/<int:attempt_id>/result/", participant.attempt_result, name="attempt_result"),
    path("questions/<int:question_id>/image/", participant.question_image, name="question_image"),
    path("practice/", practice.practice_home, name="practice"),
    path("practice/<slug:slug>/", practice.practice_question, name="practice_question"),
    path("practice/<slug:slug>/answer/", practice.practice_answer, name="practice_answer"),
    path("practice/<slug:slug>/summary/", practice.practice_summary, name="practice_summary"),
    # organiser area
    path("organiser/banks/", organiser.bank_list, name="organiser_banks"),
    path("organiser/banks/template.xlsx", organiser.import_template, name="organiser_question_template"),
    path("organiser/banks/<int:bank_id>/", organiser.bank_detail, name="organiser_bank"),
    path("organiser/banks/<int:bank_id>/import/", organiser.bank_import, name="organiser_bank_import"),
    path("organiser/banks/<int:bank_id>/export.xlsx", organiser.bank_export, name="organiser_bank_export"),
    path("organiser/banks/<int:bank_id>/questions/new/", organiser.question_create, name="organiser_question_create"),
    path("organiser/questions/<int:question_id>/", organiser.question_edit, name="organiser_question"),
    path("organiser/banks/<int:bank_id>/review/", review.review_queue, name="organiser_review_queue"),
    path("organiser/questions/<int:question_id>/review/", review.question_review, name="organiser_question_review"),
    path("organiser/questions/<int:question_id>/delete/", organiser.question_delete, name="organiser_question_delete"),
    path("organiser/quizzes/new/", organiser.quiz_create, name="organiser_quiz_create"),
    path("organiser/quizzes/<int:quiz_id>/", organiser.quiz_edit, name="organiser_quiz"),
    path("organiser/rounds/<int:round_id>/quiz/", organiser.quiz_round_settings, name="organiser_quiz_round"),
    path(
        "organiser/rounds/<int:round_id>/quiz/accommodations/",
        organiser.accommodation_grant,
        name="organiser_accommodation_grant",
    ),
    path(
        "organiser/events/<int:event_id>/weekly-quiz-rounds/", organiser.weekly_series, name="organiser_weekly_series"
    ),
]
