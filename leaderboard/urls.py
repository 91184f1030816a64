from django.urls import path

from .views import api, boards, reports, results

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
    path("embed/rounds/<int:round_id>/board/", api.embed_board, name="embed_board"),
    path("api/v1/events/", api.events, name="api_events"),
    path("api/v1/events/<slug:slug>/", api.event_detail, name="api_event"),
    path("api/v1/events/<slug:slug>/results/", api.event_results, name="api_event_results"),
    path("api/v1/rounds/<int:round_id>/board/", api.round_board, name="api_round_board"),
    path("api/v1/certificates/<str:code>/", api.certificate, name="api_certificate"),
    path("api/v1/openapi.json", api.openapi, name="api_openapi"),
    path("organiser/rounds/<int:round_id>/board/freeze/", boards.board_freeze, name="board_freeze"),
    path("organiser/events/<int:event_id>/results/", results.organiser_results, name="organiser_results"),
    path("organiser/rounds/<int:round_id>/results/", results.organiser_round_results, name="organiser_round_results"),
    path("organiser/events/<int:event_id>/results/correct/", results.result_correct, name="result_correct"),
    path("organiser/events/<int:event_id>/certificates/", results.certificates_issue, name="certificates_issue"),
    path("organiser/events/<int:event_id>/certificates.zip", results.certificates_zip, name="certificates_zip"),
]
