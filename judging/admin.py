from django.contrib import admin

from submissions.admin import ReadingRoundAdmin
from submissions.models import ReadingRound

from .models import Assignment, Criterion, CriterionMark, JudgeScore, RoundJudge


class CriterionInline(admin.TabularInline):
    model = Criterion
    extra = 0


admin.site.unregister(ReadingRound)


@admin.register(ReadingRound)
class ReadingRoundWithRubricAdmin(ReadingRoundAdmin):
    """The reading round's admin page, with its rubric (judging's part of the round) inline."""

    inlines = [*ReadingRoundAdmin.inlines, CriterionInline]


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
