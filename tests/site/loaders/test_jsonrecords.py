from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syndicate.errors import Problem, RecordError
from syndicate.site.loaders.jsonrecords import load_json, load_jsonl
from syndicate.site.records import RelatedRef


def record(title: str = "T", **fields: object) -> dict[str, object]:
    return {"title": title, **fields}


def test_one_object_is_one_record() -> None:
    text = json.dumps(
        record(
            "Port Levy",
            id="business/levy",
            section="Business",
            published="2026-11-24T16:40:00Z",
            updated="Tue, 24 Nov 2026 19:10:00 +0000",
            authors=["Teodor Vance"],
            image={"url": "https://news.example.com/i.jpg", "alt": "Council"},
            related=["Harbour", {"id": "business/other"}],
            body="<p>Hello</p>",
        ),
        indent=2,
    )
    [raw], errors = load_json(text, "articles/b.json", "b", [])
    assert errors == []
    assert raw.id == "business/levy"
    assert raw.published == datetime(2026, 11, 24, 16, 40, tzinfo=UTC)
    assert raw.updated == datetime(2026, 11, 24, 19, 10, tzinfo=UTC)
    assert raw.related == (RelatedRef("title", "Harbour"), RelatedRef("id", "business/other"))
    assert raw.body == "<p>Hello</p>"
    assert raw.fallback_id == "b"
    assert raw.line_of("authors") == 7


def test_a_list_holds_several_records_and_a_bad_one_does_not_stop_the_rest() -> None:
    text = json.dumps([record("One"), record("", section="x"), record("Three")], indent=1)
    records, errors = load_json(text, "articles/list.json", "list", [])
    assert [r.title for r in records] == ["One", "Three"]
    assert [r.fallback_id for r in records] == ["list/one", "list/three"]
    assert [(e.problem.field, e.problem.line) for e in errors] == [("title", 6)]


def test_jsonl_reports_each_bad_line_and_loads_the_others() -> None:
    lines = [
        json.dumps(record("First", id="a")),
        "",
        '{"title": "broken",',
        json.dumps(["not", "an", "object"]),
        json.dumps(record("Fifth", id="e", published="last week")),
        json.dumps(record("Sixth", id="f")),
    ]
    records, errors = load_jsonl("\n".join(lines), "articles/m.jsonl", "m", [])
    assert [r.title for r in records] == ["First", "Sixth"]
    assert [r.source.line for r in records] == [1, 6]
    assert [(e.problem.line, e.problem.field) for e in errors] == [
        (3, None),
        (4, None),
        (5, "published"),
    ]


def test_jsonl_records_without_id_get_one_from_the_title_with_a_warning() -> None:
    warnings: list[Problem] = []
    records, _ = load_jsonl(json.dumps(record("Grain Merger")), "articles/m.jsonl", "m", warnings)
    assert records[0].fallback_id == "m/grain-merger"
    assert [w.field for w in warnings] == ["id"]


def test_invalid_json_names_line() -> None:
    with pytest.raises(RecordError) as caught:
        load_json('{\n  "title": "x",\n  oops\n}', "articles/x.json", "x", [])
    assert caught.value.problem.line == 3


@pytest.mark.parametrize("text", ["42", '"text"', "null"])
def test_json_that_is_not_records(text: str) -> None:
    with pytest.raises(RecordError, match="object"):
        load_json(text, "articles/x.json", "x", [])


def test_numbers_are_accepted_as_ids_but_not_as_dates() -> None:
    [raw], _ = load_json(json.dumps(record(id=1234)), "articles/x.json", "x", [])
    assert raw.id == "1234"
    _, errors = load_json(json.dumps([record(published=1700000000)]), "articles/x.json", "x", [])
    assert errors[0].problem.field == "published"


_text = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=30).filter(
    lambda s: s.strip() == s and s
)


@settings(max_examples=150, deadline=None)
@given(
    records=st.lists(
        st.fixed_dictionaries(
            {
                "id": _text,
                "title": _text,
                "summary": _text,
                "tags": st.lists(_text, max_size=3),
                "body": st.text(max_size=60),
            }
        ),
        min_size=1,
        max_size=5,
    ),
    as_lines=st.booleans(),
)
def test_round_trip_through_json_and_jsonl(
    records: list[dict[str, object]], as_lines: bool
) -> None:
    if as_lines:
        text = "\n".join(json.dumps(r, ensure_ascii=False) for r in records)
        loaded, errors = load_jsonl(text, "articles/x.jsonl", "x", [])
    else:
        loaded, errors = load_json(json.dumps(records, indent=2), "articles/x.json", "x", [])
    assert errors == []
    for raw, original in zip(loaded, records, strict=True):
        assert (raw.id, raw.title, raw.summary) == (
            original["id"],
            original["title"],
            original["summary"],
        )
        assert list(raw.tags) == original["tags"]
        assert raw.body == (original["body"] if str(original["body"]).strip() else "")


def test_an_integer_too_long_to_read_is_a_record_error() -> None:
    huge = "1" * 5000
    with pytest.raises(RecordError) as caught:
        load_json('{"title": "x", "id": ' + huge + "}", "articles/x.json", "x", [])
    assert caught.value.problem.line == 1
    records, errors = load_jsonl(
        '{"title": "ok"}\n{"title": "x", "id": ' + huge + "}", "articles/x.jsonl", "x", []
    )
    assert [r.title for r in records] == ["ok"]
    assert [e.problem.line for e in errors] == [2]


def test_lines_stay_right_in_a_list_with_scalars_and_line_separators() -> None:
    text = (
        "[\n"
        '  {"title": "A\u2028B", "published": "2026-01-01"},\n'
        "  42,\n"
        "  {\n"
        '    "title": "C",\n'
        '    "published": "yesterday"\n'
        "  }\n"
        "]"
    )
    records, errors = load_json(text, "articles/x.json", "x", [])
    assert [r.title for r in records] == ["A\u2028B"]
    assert [(e.problem.line, e.problem.field) for e in errors] == [(3, None), (6, "published")]


def test_trailing_garbage_is_an_error() -> None:
    with pytest.raises(RecordError, match="extra data"):
        load_json('{"title": "x"} {"title": "y"}', "articles/x.json", "x", [])
