from django.urls import path

from .views import participant

urlpatterns = [
    path("rounds/<int:round_id>/quiz/", participant.quiz_round_page, name="quiz_round"),
    path("rounds/<int:round_id>/quiz/start/", participant.attempt_start, name="attempt_start"),
    path("rounds/<int:round_id>/quiz/board/", participant.round_board, name="quiz_round_board"),
    path("attempts/<int:attempt_id>/", participant.attempt_take, name="attempt_take"),
    path("attempts/<int:attempt_id>/answer/", participant.attempt_answer, name="attempt_answer"),
    path("attempts/<int:attempt_id>/submit/", participant.attempt_submit, name="attempt_submit"),
    path("attempts/<int:attempt_id>/result/", participant.attempt_result, name="attempt_result"),
]
