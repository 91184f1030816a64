"""Properties of the live protocol's parser: any text, any JSON value, any near-miss of a real message is
either accepted into its schema or refused with a known error code — ``parse`` never raises anything else."""

from __future__ import annotations

import json

from hypothesis import example, given
from hypothesis import strategies as st

from live.protocol import ERRORS, HOST_MESSAGES, MAX_MESSAGE_BYTES, PLAYER_MESSAGES, ProtocolError, parse

SCHEMAS = {"player": PLAYER_MESSAGES, "host": HOST_MESSAGES}
TYPES = sorted({*PLAYER_MESSAGES, *HOST_MESSAGES, "", "hack", "__proto__", "error"})
FIELDS = sorted({name for schema in SCHEMAS.values() for fields in schema.values() for name in fields} | {"id", "x"})

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=10**18, max_value=10**40)
    | st.floats()
    | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=15,
)


@st.composite
def near_messages(draw) -> dict:
    """A message with a real or made-up type and real field names holding values of any type."""
    message = {"type": draw(st.sampled_from(TYPES))}
    for name in draw(st.lists(st.sampled_from(FIELDS), max_size=4, unique=True)):
        message[name] = draw(json_values)
    return message


def texts_of(values) -> st.SearchStrategy[str]:
    return values.map(lambda value: json.dumps(value, ensure_ascii=False, allow_nan=True))


frames = st.one_of(
    st.text(max_size=300),
    texts_of(json_values),
    texts_of(near_messages()),
    texts_of(near_messages()).map(lambda text: text.replace('"', "'", 1)),
    st.integers(MAX_MESSAGE_BYTES - 50, MAX_MESSAGE_BYTES + 50).map(
        lambda n: json.dumps({"type": "ping", "id": "x" * n})
    ),
)


def check(text: str | None, side: str) -> None:
    try:
        message = parse(text, SCHEMAS[side])
    except ProtocolError as error:
        assert error.code in ERRORS
        reply = error.as_message()
        assert reply["type"] == "error" and reply["message"]
        return
    fields = SCHEMAS[side][message["type"]]
    assert set(message) <= {*fields, "type", "id"}
    for name, types in fields.items():
        assert isinstance(message.get(name), types)
        assert not (isinstance(message.get(name), bool) and bool not in types), "true is no question number"
    assert len(text.encode("utf-8", "surrogatepass")) <= MAX_MESSAGE_BYTES
    json.dumps(message, ensure_ascii=False).encode("utf-8")  # storable text only: no lone surrogates


@given(text=frames, side=st.sampled_from(sorted(SCHEMAS)))
@example(text='{"type": "rejoin", "token": "a:\\ud800"}', side="player")  # once crashed Django's signing
@example(text='{"type": "answer", "question": 0, "response": "\\u0000"}', side="player")
@example(text="[" * 3000 + "]" * 3000, side="player")
@example(text='{"type": "kick", "player": 1e400}', side="host")
@example(text='{"type": "answer", "question": NaN, "response": Infinity}', side="player")
@example(text=None, side="host")  # a binary frame
def test_any_frame_is_accepted_into_the_schema_or_refused_with_a_code(text, side):
    check(text, side)
