from django.urls import path

from .views import boards, email, moderation, threads

urlpatterns = [
    path("events/<slug:slug>/forum/", threads.forum_topics, name="forum_topics"),
    path("events/<slug:slug>/forum/new/", threads.topic_create, name="forum_topic_create"),
    path("events/<slug:slug>/forum/board/", boards.forum_board, name="forum_board"),
    path("events/<slug:slug>/forum/moderation/", moderation.moderation, name="forum_moderation"),
    path("events/<slug:slug>/forum/resources/", moderation.resource_add, name="forum_resource_add"),
    path("events/<slug:slug>/forum/points/", moderation.points_recalculate, name="forum_points_recalculate"),
    path("events/<slug:slug>/playground/", boards.playground, name="playground"),
    path("forum/topics/<int:topic_id>/", threads.topic_detail, name="forum_topic"),
    path("forum/topics/<int:topic_id>/reply/", threads.post_reply, name="forum_reply"),
    path("forum/topics/<int:topic_id>/posts/", threads.posts_after, name="forum_posts_after"),
    path("forum/topics/<int:topic_id>/moderate/", moderation.topic_moderate, name="forum_topic_moderate"),
    path("forum/posts/<int:post_id>/", threads.post_fragment, name="forum_post_fragment"),
    path("forum/posts/<int:post_id>/edit/", threads.post_edit, name="forum_post_edit"),
    path("forum/posts/<int:post_id>/react/", threads.post_react, name="forum_post_react"),
    path("forum/posts/<int:post_id>/report/", threads.post_report, name="forum_post_report"),
    path("forum/posts/<int:post_id>/image/", threads.post_image, name="forum_post_image"),
    path("forum/posts/<int:post_id>/moderate/", moderation.post_moderate, name="forum_post_moderate"),
    path("forum/posts/<int:post_id>/reports/", moderation.report_decide, name="forum_report_decide"),
    path("forum/resources/<int:resource_id>/delete/", moderation.resource_delete, name="forum_resource_delete"),
    path("forum/unsubscribe/<str:token>/", email.unsubscribe, name="forum_unsubscribe"),
    # Round conventions (contests.Round.get_absolute_url / get_settings_url) for the forum's points round
    path("rounds/<int:round_id>/forum/", threads.forum_round, name="forum_round"),
    path("organiser/rounds/<int:round_id>/forum/", moderation.organiser_forum_round, name="organiser_forum_round"),
]
