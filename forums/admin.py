from django.contrib import admin

from .models import Post, Report, Resource, Topic


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["title", "event", "author", "created_at", "pinned", "locked", "hidden"]
    list_filter = ["pinned", "locked", "hidden"]
    search_fields = ["title"]
    raw_id_fields = ["event", "author", "best_answer"]


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ["pk", "topic", "author", "created_at", "hidden"]
    list_filter = ["hidden"]
    raw_id_fields = ["topic", "author", "quote", "hidden_by"]


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ["post", "reporter", "reason", "created_at", "outcome"]
    list_filter = ["outcome", "reason"]
    raw_id_fields = ["post", "reporter", "resolved_by"]


@admin.register(Resource)
class ResourceAdmin(admin.ModelAdmin):
    list_display = ["title", "event", "url"]
    raw_id_fields = ["event", "added_by"]
