"""The hasher of temporary passwords printed on login cards.

Django's default PBKDF2 takes about a second per password here, so a class of 40 would hold the upload's
request for most of a minute. A card's password is random (10 characters from 31: about 49 bits, not a
word a person chose), lives until the pupil's first sign-in, and is then replaced by their own password
under the default hasher; Django also re-hashes it with the default hasher at that first sign-in. Fewer
iterations are therefore enough for it, and the hasher is never the default one (it is not first in
``PASSWORD_HASHERS``).
"""

from django.contrib.auth.hashers import PBKDF2PasswordHasher


class TemporaryPasswordHasher(PBKDF2PasswordHasher):
    algorithm = "pbkdf2_sha256_card"
    iterations = 20_000
