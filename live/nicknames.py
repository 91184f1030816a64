"""Nicknames shown on a projector in front of a hall: short, printable, and not rude.

No maintained library filters Vietnamese profanity, so this is a small list. Vietnamese words are
matched with their tone marks, because folding them away would block innocent words ("lớn", "điểm");
teen-code spellings without marks ("vcl", "dm") and English words are matched on the nickname folded to
plain letters, so "Đ.M" and "dm" are the same.
"""

import re
import unicodedata

MAX_LENGTH = 20
VIETNAMESE = {
    "lồn",
    "buồi",
    "cặc",
    "địt",
    "đéo",
    "đụ",
    "đĩ",
    "điếm",
    "đĩ điếm",
    "chó đẻ",
    "óc chó",
    "mẹ mày",
    "đm",
    "đcm",
}
FOLDED_WORDS = {
    "dm",
    "dmm",
    "dcm",
    "dkm",
    "vcl",
    "vkl",
    "vl",
    "clm",
    "cmm",
    "dit",
    "djt",
    "deo",
    "ditme",
    "dume",
    "duma",
    "fuck",
    "fck",
    "shit",
    "bitch",
    "dick",
    "cunt",
    "asshole",
    "porn",
}
FOLDED_SUBSTRINGS = ("fuck", "shit", "bitch", "cunt", "nigg", "ditme", "dume", "dcm", "vcl", "dmm", "occho")


def fold(text: str) -> str:
    """Lower-case plain letters only: marks, digits-as-letters and punctuation folded away."""
    text = unicodedata.normalize("NFD", text.casefold()).replace("đ", "d")
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.translate(str.maketrans("013457@$", "oieastas"))
    return re.sub(r"[^a-z]", "", text)


def clean_nickname(raw: str) -> str:
    """Collapse spaces and drop control characters; the result may be empty."""
    text = "".join(ch for ch in unicodedata.normalize("NFC", raw or "") if unicodedata.category(ch)[0] != "C")
    return " ".join(text.split())


def nickname_problem(nickname: str) -> str | None:
    """A code for what is wrong with a cleaned nickname, or None if it may be shown."""
    if not nickname:
        return "nickname_empty"
    if len(nickname) > MAX_LENGTH:
        return "nickname_too_long"
    lowered = nickname.casefold()
    words = lowered.split()
    pairs = {" ".join(words[i : i + 2]) for i in range(len(words))}
    if set(words) & VIETNAMESE or pairs & VIETNAMESE:
        return "nickname_rude"
    folded_words = {fold(word) for word in words}
    folded = fold(nickname)
    if folded in FOLDED_WORDS or folded_words & FOLDED_WORDS or any(bad in folded for bad in FOLDED_SUBSTRINGS):
        return "nickname_rude"
    return None
