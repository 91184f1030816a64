from django.contrib import admin

from .models import (
    Assignment,
    Criterion,
    CriterionMark,
    Entry,
    EntryVersion,
    JudgeScore,
    ReadingRound,
    RoundJudge,
    Vote,
)


class CriterionInline(admin.TabularInline):
    model = Criterion
    extra = 0


@admin.register(ReadingRound)
class ReadingRoundAdmin(admin.ModelAdmin):
    list_display = ["round", "media", "max_duration_s", "entries_per_participant", "voting_enabled", "vote_weight"]
    raw_id_fields = ["round"]
    inlines = [CriterionInline]


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


@admin.register(RoundJudge)
class RoundJudgeAdmin(admin.ModelAdmin):
    list_display = ["user", "reading_round", "stages", "created_at", "reminded_at"]
    raw_id_fields = ["user", "reading_round", "invited_by"]
    filter_horizontal = ["conflict_organisations"]


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    """Read-only: assignments change through the organiser pages, which apply the conflict rules."""

    list_display = ["entry", "judge", "stage", "state", "extra", "created_at"]
    list_filter = ["state", "stage", "extra"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class CriterionMarkInline(admin.TabularInline):
    model = CriterionMark
    extra = 0
    can_delete = False
    readonly_fields = ["criterion", "value"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(JudgeScore)
class JudgeScoreAdmin(admin.ModelAdmin):
    """Read-only evidence of what each judge gave; ``verify_results`` recomputes the results from it."""

    list_display = ["assignment", "total", "submitted_at", "updated_at"]
    readonly_fields = ["assignment", "version", "total", "comment", "submitted_at", "updated_at"]
    inlines = [CriterionMarkInline]

    def has_add_permission(self, request):
        return False
