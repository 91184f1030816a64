from django.urls import path

from . import views as live

urlpatterns = [
    path("rounds/<int:round_id>/live/", live.live_round_page, name="live_round"),
    path("play/", live.play_start, name="live_play_start"),
    path("play/<str:pin>/", live.play_page, name="live_play"),
    path("live/<int:session_id>/host/", live.host_page, name="live_host"),
    path("live/<int:session_id>/results.csv", live.results_csv, name="live_results_csv"),
    path("live/<int:session_id>/results.xlsx", live.results_xlsx, name="live_results_xlsx"),
    path("organiser/live/new/", live.session_create, name="live_session_create"),
    path("organiser/rounds/<int:round_id>/live/", live.live_round_settings, name="organiser_live_round"),
    path("organiser/rounds/<int:round_id>/live/count/", live.live_round_choose, name="organiser_live_round_choose"),
]
