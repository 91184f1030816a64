"""Uploaded images made safe and light: decoded by Pillow, EXIF (GPS, camera) dropped, resized, re-encoded."""

import warnings
from io import BytesIO

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PIXELS = 40_000_000  # refuse decompression bombs long before they fill memory
# Every Image.open in the process (Django's ImageField validation included) treats a bomb as an error
# rather than a warning, as Pillow's documentation suggests for servers.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
warnings.simplefilter("error", Image.DecompressionBombWarning)
# Only the formats the message names: Pillow would otherwise also open EPS (rendered by Ghostscript, a
# long line of remote-code-execution bugs), PSD, TIFF and a dozen rarer decoders on an upload.
FORMATS = ("JPEG", "PNG", "WEBP", "GIF")


def normalise_image(upload, *, max_size: tuple[int, int], name_stem: str) -> ContentFile:
    """Return a JPEG (or PNG when the image has transparency) no larger than ``max_size``.

    Re-encoding from pixels is what strips EXIF and anything hidden after the image data; the
    orientation tag is applied first so that phone photos are not shown sideways.
    """
    try:
        upload.seek(0)
        with Image.open(upload, formats=FORMATS) as probe:
            if probe.width * probe.height > MAX_PIXELS:
                raise ValidationError(_("The image is too large (at most 40 megapixels)."), code="image_too_large")
            probe.verify()
        upload.seek(0)
        image = Image.open(upload, formats=FORMATS)
        image.load()
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:  # past MAX_PIXELS (filter above)
        raise ValidationError(_("The image is too large (at most 40 megapixels)."), code="image_too_large") from exc
    except (UnidentifiedImageError, OSError) as exc:
        raise ValidationError(
            _("The file is not an image we can read (JPEG, PNG, WebP or GIF)."), code="not_image"
        ) from exc
    image = ImageOps.exif_transpose(image)
    image.thumbnail(max_size, Image.Resampling.LANCZOS)
    has_alpha = image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info)
    pixels = image.convert("RGBA" if has_alpha else "RGB")
    pixels.info = {}  # Pillow writes a source JPEG's comment (or ICC, XMP) back unless told: only pixels travel
    out = BytesIO()
    if has_alpha:
        pixels.save(out, format="PNG", optimize=True)
        extension = "png"
    else:
        pixels.save(out, format="JPEG", quality=85, optimize=True, progressive=True)
        extension = "jpg"
    return ContentFile(out.getvalue(), name=f"{name_stem}.{extension}")
