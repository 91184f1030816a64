from django.urls import path

from . import api
from .views import boards, embed, reports, results

urlpatterns = [
    path("rounds/<int:round_id>/board/", boards.round_board, name="round_board"),
    path("events/<slug:slug>/board/", boards.event_board, name="event_board"),
    path("events/<slug:slug>/units/", boards.unit_board, name="unit_board"),
    path("events/<slug:slug>/results/", results.public_results, name="event_results"),
    path("verify/<str:code>/", results.certificate_verify, name="certificate_verify"),
    path("certificates/<str:code>.pdf", results.certificate_pdf, name="certificate_pdf"),
    path("events/<slug:slug>/statistics/", reports.statistics, name="event_statistics"),
    path("organiser/events/<int:event_id>/report.xlsx", reports.export_xlsx, name="event_report_xlsx"),
    path("organiser/events/<int:event_id>/results.csv", reports.export_csv, name="event_results_csv"),
    path("embed/rounds/<int:round_id>/board/", embed.embed_board, name="embed_board"),
    *api.urlpatterns(),  # the public JSON API under api/v1/ (leaderboard/api.py)
    path("organiser/rounds/<int:round_id>/board/freeze/", boards.board_freeze, name="board_freeze"),
    path("organiser/events/<int:event_id>/results/", results.organiser_results, name="organiser_results"),
    path("organiser/rounds/<int:round_id>/results/", results.organiser_round_results, name="organiser_round_results"),
    path("organiser/events/<int:event_id>/results/correct/", results.result_correct, name="result_correct"),
    path("organiser/events/<int:event_id>/certificates/", results.certificates_issue, name="certificates_issue"),
    path("organiser/events/<int:event_id>/certificates.zip", results.certificates_zip, name="certificates_zip"),
]
