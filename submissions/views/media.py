"""Every stored recording, poster and original goes through this one view, after ``selectors.may_play``."""

from django.views.decorators.http import require_safe

from contest_site.serving import media_response
from contests.invites import require_round

from .. import selectors

CONTENT_TYPES = {"audio": "audio/mp4", "video": "video/mp4"}


@require_safe
def version_file(request, version_id: int, part: str):
    version, stored = selectors.access_media(user=request.user, version_id=version_id, part=part)
    require_round(request, version.entry.reading_round.round_id)
    if part == "poster":
        return media_response(request, stored, content_type="image/jpeg")
    if part == "original":
        name = f"{version.entry_id}-v{version.number}.{version.extension}"
        return media_response(request, stored, content_type="application/octet-stream", filename=name)
    return media_response(request, stored, content_type=CONTENT_TYPES[version.kind])
