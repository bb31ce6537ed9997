"""JSON Feed documents are written by orjson: the very bytes json.dumps(ensure_ascii=False,
indent=2) writes, for any text a record can hold."""

from __future__ import annotations

import json

import orjson
from hypothesis import given
from hypothesis import strategies as st

# Text as records give it: any character but lone surrogates (no UTF-8 holds them).
text = st.text(st.characters(exclude_categories=("Cs",)))
values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=20,
)


@given(st.dictionaries(text, values, max_size=6))
def test_orjson_writes_what_json_dumps_writes(document: dict[str, object]) -> None:
    expected = (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    written = orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)
    assert written == expected
