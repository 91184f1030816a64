from django.urls import path

from .views import gallery, media, organiser, participant

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
]
