from django.contrib import admin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Read-only: staff look here for deliveries that failed (``last_error``); nothing is written by hand."""

    list_display = ["created_at", "user", "kind", "delivery", "attempts", "read_at"]
    list_filter = ["kind", "delivery"]
    search_fields = ["user__email", "user__username", "key"]
    readonly_fields = [f.name for f in Notification._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
