from django.contrib import admin

from .models import Entry, EntryVersion, ReadingRound, Vote


@admin.register(ReadingRound)
class ReadingRoundAdmin(admin.ModelAdmin):
    list_display = ["round", "media", "max_duration_s", "entries_per_participant", "voting_enabled", "vote_weight"]
    raw_id_fields = ["round"]


class EntryVersionInline(admin.TabularInline):
    model = EntryVersion
    extra = 0
    fields = ["number", "state", "kind", "source", "duration_ms", "reason_code", "attempts", "received_at"]
    readonly_fields = fields
    can_delete = False


@admin.register(Entry)
class EntryAdmin(admin.ModelAdmin):
    list_display = ["title", "user", "reading_round", "moderation", "consent_publish", "created_at"]
    list_filter = ["moderation", "consent_publish"]
    search_fields = ["title", "user__email"]
    raw_id_fields = ["user", "reading_round", "moderated_by"]
    inlines = [EntryVersionInline]


@admin.register(Vote)
class VoteAdmin(admin.ModelAdmin):
    list_display = ["entry", "user", "created_at"]
    raw_id_fields = ["entry", "user"]
