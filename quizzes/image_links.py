"""Signed links to a question's image, for people with no account or attempt to check (guests in a live
game). The quizzes app serves question images, so the salt lives here; the live game only hands links out."""

from django.core import signing

IMAGE_SALT = "question-image"


def signed_image_url(question) -> str:
    """The image URL with a token, so that guests in a live game (no account, no attempt) may load it."""
    token = signing.dumps(question.pk, salt=IMAGE_SALT)
    return f"/questions/{question.pk}/image/?t={token}"
