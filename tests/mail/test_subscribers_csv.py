"""The subscribers CSV reader: files that cannot be imported at all, and any text at all."""

from __future__ import annotations

from pathlib import Path

import pytest
from email_validator import validate_email
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from syndicate.cli import app
from syndicate.errors import SubscriberFileError
from syndicate.mail.subscribers import (
    MAX_NAME,
    STATUSES,
    check_row,
    normalise_email,
    read_subscriber_csv,
)
from tests.commands import invoke, listed, runner
from tests.sites import HEADER

# -- a file that cannot be imported at all ------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["name,sections,status\nAna,World,active\n", "", "mail,name\nana@example.com,Ana\n"],
    ids=["no-email-column", "empty", "misnamed"],
)
def test_a_csv_without_an_email_column_is_one_clear_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "people.csv"
    path.write_text(text, "utf-8")
    result = runner.invoke(
        app, ["subscribers", "import", str(path), "--dir", str(tmp_path)], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 2  # SPEC section 8: 2 for bad input
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "people.csv" in lines[0] and "no 'email' column" in lines[0]
    assert result.stdout == ""
    assert not (tmp_path / ".syndicate" / "state.db").exists() or listed(tmp_path) == {}


def test_a_csv_without_an_email_column_exits_2_like_a_missing_file(tmp_path: Path) -> None:
    missing = invoke("subscribers", "import", str(tmp_path / "gone.csv"), "--dir", str(tmp_path))
    assert missing[0] == 2
    path = tmp_path / "people.csv"
    path.write_text("name,sections\nAna,World\n", "utf-8")
    code, _, _ = invoke("subscribers", "import", str(path), "--dir", str(tmp_path))
    assert code == 2


def test_a_file_that_is_not_utf8_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("email,name\njose@example.com,José\n".encode("latin-1"))
    with pytest.raises(SubscriberFileError, match="not UTF-8"):
        read_subscriber_csv(path, ("en",))
    code, _, err = invoke("subscribers", "import", str(path), "--dir", str(tmp_path))
    assert code in (1, 2)
    assert err.count("error:") == 1 and "not UTF-8" in err


def test_an_unclosed_quote_in_a_large_file_is_a_reported_problem(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    rows = "".join(f"reader{n}@example.com,Reader {n},,\n" for n in range(6000))
    path.write_text(HEADER + '"oops@example.com,Unclosed\n' + rows, "utf-8")
    result = runner.invoke(app, ["subscribers", "import", str(path), "--dir", str(tmp_path)])
    assert result.exit_code in (1, 2)
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.stderr


# -- the reader, on any text ------------------------------------------------------------

ADDRESSES = st.emails() | st.sampled_from(
    [
        "ana@example.com",
        "Ana@Example.COM",
        " bo@example.org ",
        "jurgen@bücher.example",
        "jürgen@example.com",
        "a@b",
        "@example.com",
        "a..b@example.com",
        "x@localhost",
        "x@[127.0.0.1]",
        '"quoted"@example.com',
        "Name <ana@example.com>",
        "ana@example.com.",
        "ana@-example.com",
        "ana@exa_mple.com",
        "ana@xn--zz.com",
        "a" * 65 + "@example.com",
        "ana@" + "d" * 64 + ".com",
    ]
)
CELL = st.one_of(
    ADDRESSES,
    st.sampled_from((*STATUSES, "Active", " BOUNCED ", "gone", "")),
    st.sampled_from(["World;Business", ";;", "World ; world", "A\nB", '"', '""', ","]),
    st.text(max_size=20),
    st.text(min_size=MAX_NAME - 2, max_size=MAX_NAME + 3),
)


def _cell(value: str, quote: bool) -> str:
    return '"' + value.replace('"', '""') + '"' if quote else value


@st.composite
def csv_like(draw: st.DrawFn) -> str:
    """A CSV-ish file: a header that usually has an email column, then rows of anything
    (mostly one cell per column, the email column mostly addresses), quoted or not,
    with LF, CRLF or CR line ends."""
    columns = draw(
        st.lists(
            st.sampled_from(["email", "EMAIL ", "name", "sections", "status", "extra", ""]),
            min_size=1,
            max_size=5,
        )
    )
    if draw(st.integers(0, 9)) > 0:
        columns.insert(draw(st.integers(0, len(columns))), "email")
    end = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    lines = [",".join(columns)]
    for _ in range(draw(st.integers(0, 8))):
        width = len(columns) + draw(st.sampled_from([0, 0, 0, 0, -1, 1]))
        cells = [
            draw(ADDRESSES if column.strip().lower() == "email" else CELL)
            for column in [*columns, ""][: max(width, 0)]
        ]
        lines.append(",".join(_cell(value, draw(st.booleans())) for value in cells))
    bom = "\ufeff" if draw(st.booleans()) else ""
    return bom + end.join(lines) + draw(st.sampled_from(["", end]))


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.one_of(csv_like(), st.text()))
@example("email\nana@example.com\n")
@example("email,name\n\x00@example.com,\x00\n")
@example('email\n"ana@example.com\n')
def test_the_reader_takes_any_text_and_every_row_it_accepts_is_a_real_address(
    tmp_path: Path, text: str
) -> None:
    path = tmp_path / "any.csv"
    path.write_text(text, "utf-8", newline="")
    try:
        rows, problems = read_subscriber_csv(path, ("en",))
    except SubscriberFileError as exc:
        assert "no 'email' column" in exc.message
        return
    for row in rows:
        # A real address: ASCII, or internationalised (RFC 6531) with an ASCII domain.
        checked = validate_email(row.email, check_deliverability=False, allow_smtputf8=True)
        assert checked.ascii_domain is not None and row.email.endswith(checked.ascii_domain)
        assert normalise_email(row.email) == row.email == row.email.lower()
        assert row.status in STATUSES
        assert row.name is not None and len(row.name) <= MAX_NAME
        assert "\n" not in row.name and "\r" not in row.name
        assert row.line is not None and row.line >= 2
        # A row as it is stored passes the same check again, unchanged.
        again = check_row(row.email, row.name, row.sections or (), row.status)
        assert (again.email, again.name, again.sections, again.status) == (
            row.email,
            row.name,
            row.sections,
            row.status,
        )
    for problem in problems:
        assert problem.line is not None and problem.line >= 2
        assert problem.message


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(max_size=200))
def test_the_reader_refuses_undecodable_bytes_with_a_record_error(
    tmp_path: Path, data: bytes
) -> None:
    path = tmp_path / "any.csv"
    path.write_bytes(data)
    try:
        read_subscriber_csv(path, ("en",))
    except SubscriberFileError as exc:
        assert exc.message.startswith(("not UTF-8", "no 'email' column"))
