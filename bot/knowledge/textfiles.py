"""Reading the files people write (knowledge files, CSV exports) as UTF-8 text.

A file saved in another encoding (a spreadsheet's Latin-1 export, say) fails
with the path and line of its first byte that is not UTF-8, in the error type
of the caller's edge, instead of a UnicodeDecodeError from deep inside.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from pathlib import Path

from bot.errors import BalcaoError, InputError

# a chat message or an answer longer than this is a broken export, not text
FIELD_LIMIT = 1 << 20

Fail = Callable[[Path, int, str], BalcaoError]


def input_error(path: Path, line: int, problem: str) -> InputError:
    """The `fail` of the command-line inputs (CSV files): `path:line: problem`."""
    return InputError(f"{path}:{line}: {problem}")


def read_text(path: Path, fail: Fail) -> str:
    """The file's text, a UTF-8 byte-order mark dropped; `fail(path, line, problem)` is
    raised at the first byte that is not UTF-8."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        problem = f"not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as UTF-8"
        raise fail(path, line, problem) from None


def csv_records(path: Path, fail: Fail) -> Iterator[tuple[int, list[str]]]:
    """(line where the record starts, fields) for each record of a UTF-8 CSV file; a
    quoted field may span lines. Malformed CSV raises `fail` at its line."""
    if csv.field_size_limit() < FIELD_LIMIT:
        csv.field_size_limit(FIELD_LIMIT)
    reader = csv.reader(io.StringIO(read_text(path, fail), newline=""))
    line = 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise fail(path, reader.line_num, f"not valid CSV ({exc})") from None
        yield line, record
        line = reader.line_num + 1
