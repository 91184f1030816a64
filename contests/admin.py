from django.contrib import admin

from .models import (
    ClassAccount,
    ConsentRecord,
    Event,
    EventTransition,
    Membership,
    Organisation,
    Profile,
    Region,
    Round,
)


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent"]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "parent", "group", "headcount", "region"]
    list_filter = ["group"]
    search_fields = ["name", "code", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["parent", "region"]
    inlines = [MembershipInline]


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["full_name", "user", "phone", "category", "region", "data_consent_at"]
    list_filter = ["category"]
    search_fields = ["full_name", "phone", "user__email"]
    autocomplete_fields = ["user", "region", "organisation"]


class RoundInline(admin.TabularInline):
    model = Round
    extra = 0


class EventTransitionInline(admin.TabularInline):
    model = EventTransition
    extra = 0
    can_delete = False
    readonly_fields = ["from_state", "to_state", "by", "at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "organisation", "state", "visibility", "opens_at", "closes_at"]
    list_filter = ["kind", "state", "visibility"]
    search_fields = ["title", "slug"]
    readonly_fields = ["state"]
    autocomplete_fields = ["organisation"]
    inlines = [RoundInline, EventTransitionInline]


@admin.register(ClassAccount)
class ClassAccountAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "class_name", "must_change_password", "created_by", "created_at"]
    list_filter = ["organisation", "must_change_password"]
    search_fields = ["user__username", "user__profile__full_name", "class_name"]
    raw_id_fields = ["user", "organisation"]
    readonly_fields = ["created_by", "created_at", "password_changed_at"]


@admin.register(ConsentRecord)
class ConsentRecordAdmin(admin.ModelAdmin):
    """The record of a paper consent form: kept as recorded (who, when, which form)."""

    list_display = ["user", "kind", "guardian_name", "reference", "form_date", "recorded_by", "recorded_at"]
    search_fields = ["user__username", "reference", "guardian_name"]
    readonly_fields = ["user", "kind", "guardian_name", "reference", "form_date", "recorded_by", "recorded_at"]

    def has_add_permission(self, request):
        return False
