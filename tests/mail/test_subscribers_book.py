"""`syndicate subscribers import|add|remove|list`: one row per person, nobody resubscribed."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from syndicate._store.store import StateStore
from syndicate.mail.subscribers import MAX_NAME
from tests.commands import invoke, listed
from tests.factories import markdown_record, write_site
from tests.sites import HEADER


def import_csv(site: Path, text: str | bytes, *flags: str) -> tuple[int, dict[str, Any], str]:
    """`subscribers import FILE --dir SITE --json`: exit status, the report, stderr."""
    path = site / "import.csv"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, "utf-8")
    code, out, err = invoke(
        "subscribers", "import", str(path), "--dir", str(site), "--json", *flags
    )
    return code, json.loads(out), err


def add(site: Path, email: str, *flags: str) -> tuple[int, str, str]:
    return invoke("subscribers", "add", email, "--dir", str(site), *flags)


def db_rows(site: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(site / ".syndicate" / "state.db") as db:
        return db.execute(sql).fetchall()


# -- import ---------------------------------------------------------------------------


def test_importing_the_same_file_twice_changes_nothing_the_second_time(tmp_path: Path) -> None:
    text = HEADER + (
        "ana@example.com,Ana,World,active\n"
        "bo@example.com,Bo,World;Business,\n"
        "cy@example.com,,,unsubscribed\n"
    )
    code, first, _ = import_csv(tmp_path, text)
    assert code == 0
    assert (first["added"], first["updated"], first["unchanged"]) == (3, 0, 0)
    before = listed(tmp_path)
    code, second, _ = import_csv(tmp_path, text)
    assert code == 0
    assert (second["added"], second["updated"], second["unchanged"]) == (0, 0, 3)
    assert second["kept_unsubscribed"] == 0
    assert listed(tmp_path) == before  # updated_at too: nothing was rewritten


def test_each_bad_row_is_reported_with_its_line_and_the_good_rows_import(
    tmp_path: Path,
) -> None:
    text = HEADER + (
        "good@example.com,Good,,active\n"  # line 2
        "not-an-address,Bad Address,,active\n"  # 3
        "status@example.com,Odd Status,,sleeping\n"  # 4
        f"long@example.com,{'N' * (MAX_NAME + 1)},,active\n"  # 5
        "extra@example.com,Extra,World,active,surplus\n"  # 6
        "also-good@example.com,Also Good,World;Business,\n"  # 7
    )
    code, report, err = import_csv(tmp_path, text)
    assert code == 1  # rows refused: a validation failure
    assert report["added"] == 2
    assert set(listed(tmp_path)) == {"good@example.com", "also-good@example.com"}
    errors = {e["line"]: e for e in report["errors"]}
    assert sorted(errors) == [3, 4, 5, 6]
    assert all(e["file"].endswith("import.csv") for e in errors.values())
    assert "not-an-address" in errors[3]["message"]
    assert errors[3]["field"] == "email"
    assert "'sleeping' is not one of" in errors[4]["message"]
    assert f"longer than {MAX_NAME} characters" in errors[5]["message"]
    assert "more cells than columns" in errors[6]["message"]
    # On stderr for a person: one line per refused row, located file:line.
    for line in (3, 4, 5, 6):
        assert f"import.csv:{line}: " in err


def test_a_refused_row_names_the_field_that_is_wrong(tmp_path: Path) -> None:
    text = HEADER + (
        "status@example.com,Odd Status,,active@\n"  # line 2: a bad status
        f"long@example.com,{'N' * (MAX_NAME + 1)},,active\n"  # 3: a bad name
    )
    _, report, _ = import_csv(tmp_path, text)
    fields = {e["line"]: e["field"] for e in report["errors"]}
    assert fields == {2: "status", 3: "name"}


def test_bom_crlf_quotes_non_ascii_idn_and_mixed_case(tmp_path: Path) -> None:
    text = (
        "\ufeffEmail,Name,Sections,Status\r\n"
        '"Ana.Lopez@Example.COM","Núñez, Ana María",World,active\r\n'
        "jurgen@Bücher.example,Jürgen Groß,Business,\r\n"
        'ANA.LOPEZ@example.com,"Núñez, Ana María",World;Business,active\r\n'
        "zoe@例え.テスト,Zoë,,\r\n"
    )
    code, report, err = import_csv(tmp_path, text.encode("utf-8"))
    assert (code, report["errors"]) == (0, []), err
    people = listed(tmp_path)
    # One row per person however they typed it; the domain in its ASCII form.
    assert set(people) == {
        "ana.lopez@example.com",
        "jurgen@xn--bcher-kva.example",
        "zoe@xn--r8jz45g.xn--zckzah",
    }
    ana = people["ana.lopez@example.com"]
    assert ana["name"] == "Núñez, Ana María"
    assert ana["sections"] == ["World", "Business"]  # the later row updated her
    assert (report["added"], report["updated"]) == (3, 1)
    assert people["jurgen@xn--bcher-kva.example"]["name"] == "Jürgen Groß"
    assert people["zoe@xn--r8jz45g.xn--zckzah"]["name"] == "Zoë"
    assert db_rows(tmp_path, "SELECT COUNT(*) FROM subscriber") == [(3,)]


def test_add_stores_the_same_form_as_import(tmp_path: Path) -> None:
    import_csv(tmp_path, HEADER + "jurgen@bücher.example,Jürgen,,\n")
    code, out, _ = add(tmp_path, "JURGEN@BÜCHER.EXAMPLE", "--name", "J. Groß")
    assert code == 0, out
    assert "jurgen@xn--bcher-kva.example: updated." in out
    assert list(listed(tmp_path)) == ["jurgen@xn--bcher-kva.example"]
    assert listed(tmp_path)["jurgen@xn--bcher-kva.example"]["name"] == "J. Groß"


def test_an_address_with_non_ascii_before_the_at_is_taken(tmp_path: Path) -> None:
    """RFC 6531: sent where the server offers SMTPUTF8 (tests/mail/test_smtputf8.py)."""
    code, report, _ = import_csv(tmp_path, HEADER + "Jürgen@example.com,J,,\nok@example.com,,,\n")
    assert code == 0 and report["errors"] == []
    assert sorted(listed(tmp_path)) == ["jürgen@example.com", "ok@example.com"]


# -- nobody who left is made active again -----------------------------------------------


@pytest.mark.parametrize("left", ["unsubscribed", "bounced"])
def test_import_never_resubscribes_unless_asked(tmp_path: Path, left: str) -> None:
    import_csv(tmp_path, HEADER + f"gone@example.com,Gone,World,{left}\n")
    code, report, _ = import_csv(tmp_path, HEADER + "GONE@example.com,Gone,World,active\n")
    assert code == 0
    assert (report["kept_unsubscribed"], report["updated"]) == (1, 0)
    assert listed(tmp_path)["gone@example.com"]["status"] == left
    # A row without a status means active: still kept as it was.
    _, report, _ = import_csv(tmp_path, HEADER + "gone@example.com,Gone,World,\n")
    assert report["kept_unsubscribed"] == 1
    assert listed(tmp_path)["gone@example.com"]["status"] == left
    _, report, _ = import_csv(
        tmp_path, HEADER + "gone@example.com,Gone,World,active\n", "--resubscribe"
    )
    assert report["updated"] == 1
    assert listed(tmp_path)["gone@example.com"]["status"] == "active"


@pytest.mark.parametrize("left", ["unsubscribed", "bounced"])
def test_add_never_resubscribes_unless_asked(tmp_path: Path, left: str) -> None:
    import_csv(tmp_path, HEADER + f"gone@example.com,Gone,World,{left}\n")
    code, out, _ = add(tmp_path, "gone@example.com")
    assert code == 0
    assert "unsubscribed before: kept so" in out
    code, out, _ = add(tmp_path, "Gone@Example.com", "--name", "Gone Again")
    assert "kept so" in out
    person = listed(tmp_path)["gone@example.com"]
    assert (person["status"], person["name"]) == (left, "Gone Again")
    code, out, _ = add(tmp_path, "gone@example.com", "--resubscribe")
    assert code == 0
    assert listed(tmp_path)["gone@example.com"]["status"] == "active"


def test_publishing_with_a_subscribers_csv_never_resubscribes(tmp_path: Path) -> None:
    root = write_site(
        tmp_path,
        {"world/one.md": markdown_record({"title": "One", "section": "World"})},
        config='[site]\nbase_url = "https://news.example.com/"\n',
    )
    (root / "subscribers.csv").write_text(HEADER + "left@example.com,Left,,active\n", "utf-8")
    code, out, _ = invoke(
        "subscribers", "import", str(root / "subscribers.csv"), "--dir", str(root)
    )
    assert code == 0, out
    code, out, _ = invoke("subscribers", "remove", "left@example.com", "--dir", str(root))
    assert code == 0, out
    code, out, _ = invoke("publish", str(root), "--json")
    assert code == 0
    assert json.loads(out)["digest"]["recipients"] == 0
    assert listed(root)["left@example.com"]["status"] == "unsubscribed"


# -- add ------------------------------------------------------------------------------


def test_add_changes_only_what_it_is_given(tmp_path: Path) -> None:
    code, out, _ = add(tmp_path, "ana@example.com", "--name", "Ana", "--sections", "World;Business")
    assert (code, out.strip()) == (0, "ana@example.com: added.")
    first = listed(tmp_path)["ana@example.com"]
    assert (first["name"], first["sections"], first["status"]) == (
        "Ana",
        ["World", "Business"],
        "active",
    )
    add(tmp_path, "ana@example.com", "--name", "Ana Lopez")
    person = listed(tmp_path)["ana@example.com"]
    assert (person["name"], person["sections"]) == ("Ana Lopez", ["World", "Business"])
    add(tmp_path, "ana@example.com", "--sections", "Culture")
    person = listed(tmp_path)["ana@example.com"]
    assert (person["name"], person["sections"]) == ("Ana Lopez", ["Culture"])
    # Nothing given: nothing changes, not even the time of the last change.
    add(tmp_path, "ana@example.com")
    assert listed(tmp_path)["ana@example.com"] == person
    assert person["created_at"] == first["created_at"]


def test_add_refuses_a_bad_address_as_bad_input(tmp_path: Path) -> None:
    code, out, err = add(tmp_path, "not-an-address")
    assert code == 2
    assert err.count("error:") == 1 and "not-an-address" in err
    assert "Traceback" not in out + err


# -- remove ---------------------------------------------------------------------------


def published_site(root: Path) -> Path:
    """A published site whose two subscribers each got the first edition."""
    write_site(
        root,
        {"world/one.md": markdown_record({"title": "One", "section": "World"})},
        config='[site]\nbase_url = "https://news.example.com/"\n',
    )
    (root / "subscribers.csv").write_text(
        HEADER + "stay@example.com,Stay,,\nleave@example.com,Leave,,\n", "utf-8"
    )
    code, out, _ = invoke("publish", str(root), "--json")
    assert code == 0
    assert json.loads(out)["digest"]["sent"] == 2
    return root


def test_remove_unsubscribes_and_keeps_the_history(tmp_path: Path) -> None:
    root = published_site(tmp_path)
    code, out, _ = invoke("subscribers", "remove", "Leave@Example.com", "--dir", str(root))
    assert code == 0
    assert "unsubscribed" in out
    assert listed(root)["leave@example.com"]["status"] == "unsubscribed"
    sends = db_rows(
        root,
        "SELECT b.email, s.status FROM send s JOIN subscriber b ON b.id = s.subscriber_id"
        " ORDER BY b.email",
    )
    assert sends == [("leave@example.com", "sent"), ("stay@example.com", "sent")]


def test_remove_forget_deletes_the_subscriber_and_their_sends(tmp_path: Path) -> None:
    root = published_site(tmp_path)
    (root / "subscribers.csv").unlink()  # or the next publish would import them again
    code, out, _ = invoke(
        "subscribers", "remove", "leave@example.com", "--forget", "--dir", str(root)
    )
    assert code == 0
    assert "forgotten" in out
    assert set(listed(root)) == {"stay@example.com"}
    assert db_rows(root, "SELECT COUNT(*) FROM send") == [(1,)]
    assert db_rows(root, "SELECT email FROM subscriber") == [("stay@example.com",)]


def test_removing_someone_unknown_is_an_error(tmp_path: Path) -> None:
    code, _, err = invoke("subscribers", "remove", "nobody@example.com", "--dir", str(tmp_path))
    assert code != 0
    assert "no such subscriber" in err


# -- list -----------------------------------------------------------------------------


def test_list_json_shape(tmp_path: Path) -> None:
    import_csv(
        tmp_path,
        HEADER + "ana@example.com,Ana,World;Business,\nbo@example.com,,,bounced\n",
    )
    with StateStore(tmp_path / ".syndicate" / "state.db") as store:
        store.subscribers.suppress("bo@example.com", "550 no such user")
    code, out, _ = invoke("subscribers", "list", "--json", "--dir", str(tmp_path))
    assert code == 0
    rows = json.loads(out)
    assert [row["email"] for row in rows] == ["ana@example.com", "bo@example.com"]
    for row in rows:
        assert set(row) == {
            "email", "name", "sections", "status", "language", "created_at", "updated_at",
            "suppressed",
        }  # fmt: skip
        for stamp in (row["created_at"], row["updated_at"]):
            assert datetime.fromisoformat(stamp).utcoffset() is not None
    ana, bo = rows
    assert (ana["name"], ana["sections"], ana["status"], ana["suppressed"]) == (
        "Ana",
        ["World", "Business"],
        "active",
        False,
    )
    assert (bo["name"], bo["sections"], bo["status"], bo["suppressed"]) == (
        "",
        [],
        "bounced",
        True,
    )


def test_list_of_an_empty_site_is_an_empty_json_list(tmp_path: Path) -> None:
    code, out, _ = invoke("subscribers", "list", "--json", "--dir", str(tmp_path))
    assert (code, json.loads(out)) == (0, [])
