"""Build portal/data/regions.csv from python-stdnum's ``stdnum/cn/loc.dat``.

python-stdnum compiles the Chinese Wikipedia tables of GB/T 2260 administrative
division codes (行政区划代码), including retired codes and the years each code and
each name were in force.  This script turns that file into one CSV row per 6-digit
code.  Run it from the project root:

    .venv/bin/python scripts/build_regions.py

The output is deterministic (rows sorted by code, "\\n" line endings).

Source format (``loc.dat``):

    37 province="山东省"
      0000 county="山东省"
      0100 county="济南市"
      0101 county="[1983-]市辖区"
      0110 county="[-1991]东郊区,[1992-]东丽区"

A province line carries the 2-digit prefix; an indented line carries the 4 digits
that complete the code.  The quoted value is a comma-separated list of name
entries, each optionally prefixed by ``[from-to]`` (either year may be empty).
A few entries in the source have an inverted range such as ``[1983-1982]郊区``
(the name was already replaced when the tables start in 1983); the "to" year is
kept and the contradictory "from" year dropped, so the entry reads ``郊区(-1982)``.
"""

from __future__ import annotations

import csv
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import stdnum

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "portal" / "data" / "regions.csv"
SOURCE = Path(os.path.dirname(stdnum.__file__)) / "cn" / "loc.dat"

HEADER = ["code", "name", "level", "parent_code", "valid_from", "valid_to", "note"]

PROVINCE_RE = re.compile(r'^(\d{2}) province="([^"]+)"$')
COUNTY_RE = re.compile(r'^  (\d{4}) county="([^"]+)"$')
ENTRY_RE = re.compile(r"^(?:\[(\d{4})?-(\d{4})?\])?([^\[\],\"]+)$")


@dataclass(frozen=True)
class NameEntry:
    name: str
    valid_from: str  # 4-digit year or ""
    valid_to: str  # 4-digit year or ""

    def period(self) -> str:
        if not self.valid_from and not self.valid_to:
            return ""
        return f"{self.valid_from}-{self.valid_to}"


@dataclass
class Problems:
    unparsed_lines: list[str]
    unparsed_entries: list[str]
    duplicate_codes: list[str]
    inverted_ranges: list[str]
    unordered_entries: list[str]
    orphan_codes: list[str]

    def fatal_count(self) -> int:
        return (
            len(self.unparsed_lines)
            + len(self.unparsed_entries)
            + len(self.duplicate_codes)
            + len(self.unordered_entries)
            + len(self.orphan_codes)
        )


def parse_entries(value: str, code: str, problems: Problems) -> list[NameEntry] | None:
    entries: list[NameEntry] = []
    for raw in value.split(","):
        match = ENTRY_RE.match(raw.strip())
        if not match:
            problems.unparsed_entries.append(f"{code}: {raw!r}")
            return None
        valid_from, valid_to, name = match.group(1) or "", match.group(2) or "", match.group(3).strip()
        if valid_from and valid_to and int(valid_from) > int(valid_to):
            problems.inverted_ranges.append(f"{code}: {raw}")
            valid_from = ""
        entries.append(NameEntry(name, valid_from, valid_to))
    # Entries must be listed oldest first: each entry's start (or end) may not
    # precede the previous entry's.
    for before, after in zip(entries, entries[1:]):
        key_before = int(before.valid_to or before.valid_from or 0)
        key_after = int(after.valid_from or after.valid_to or 9999)
        if key_after < key_before:
            problems.unordered_entries.append(f"{code}: {value}")
            break
    return entries


def read_source(path: Path, problems: Problems) -> tuple[dict[str, list[NameEntry]], dict[str, str]]:
    """Return {code: [entries oldest first]} and {2-digit prefix: province-line name}."""
    codes: dict[str, list[NameEntry]] = {}
    province_names: dict[str, str] = {}
    prefix: str | None = None
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            match = PROVINCE_RE.match(line)
            if match:
                prefix = match.group(1)
                if prefix in province_names:
                    problems.duplicate_codes.append(prefix + "0000")
                province_names[prefix] = match.group(2)
                continue
            match = COUNTY_RE.match(line)
            if match and prefix is not None:
                code = prefix + match.group(1)
                entries = parse_entries(match.group(2), code, problems)
                if entries is None:
                    continue
                if code in codes:
                    problems.duplicate_codes.append(code)
                    continue
                codes[code] = entries
                continue
            problems.unparsed_lines.append(line)
    # A province whose source has no "0000" county line still gets its row.
    for prefix_, name in province_names.items():
        codes.setdefault(prefix_ + "0000", [NameEntry(name, "", "")])
    return codes, province_names


def level_of(code: str) -> str:
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "prefecture"
    return "county"


def parent_of(code: str, codes: dict[str, list[NameEntry]]) -> str:
    level = level_of(code)
    if level == "province":
        return ""
    province = code[:2] + "0000"
    if level == "prefecture":
        return province
    prefecture = code[:4] + "00"
    return prefecture if prefecture in codes else province


def former_names_note(entries: list[NameEntry]) -> str:
    if len(entries) < 2:
        return ""
    parts = []
    for entry in entries[:-1]:
        period = entry.period()
        parts.append(f"{entry.name}({period})" if period else entry.name)
    return "曾用名：" + "；".join(parts)


def build_rows(codes: dict[str, list[NameEntry]], problems: Problems) -> list[list[str]]:
    rows = []
    for code in sorted(codes):
        entries = codes[code]
        parent = parent_of(code, codes)
        if parent and parent not in codes:
            problems.orphan_codes.append(code)
        rows.append(
            [
                code,
                entries[-1].name,
                level_of(code),
                parent,
                entries[0].valid_from,
                entries[-1].valid_to,
                former_names_note(entries),
            ]
        )
    return rows


def write_csv(rows: list[list[str]], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".csv.tmp")
    with tmp.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(rows)
    tmp.replace(path)


def main() -> int:
    problems = Problems([], [], [], [], [], [])
    codes, province_names = read_source(SOURCE, problems)
    rows = build_rows(codes, problems)

    print(f"source: {SOURCE}")
    print(f"rows written: {len(rows)}")
    for level in ("province", "prefecture", "county"):
        total = sum(1 for row in rows if row[2] == level)
        current = sum(1 for row in rows if row[2] == level and not row[5])
        print(f"  {level}: {total} (in force: {current})")
    print(f"codes with former names: {sum(1 for row in rows if row[6])}")
    print(f"unparsed lines: {len(problems.unparsed_lines)}")
    print(f"unparsed name entries: {len(problems.unparsed_entries)}")
    print(f"duplicate codes: {len(problems.duplicate_codes)}")
    print(f"entries out of chronological order: {len(problems.unordered_entries)}")
    print(f"codes whose parent is missing: {len(problems.orphan_codes)}")
    print(f"inverted year ranges normalised (from-year dropped): {len(problems.inverted_ranges)}")
    differing = {
        prefix: name
        for prefix, name in province_names.items()
        if codes[prefix + "0000"][-1].name != name
    }
    for prefix, name in sorted(differing.items()):
        print(f"  province line {prefix} {name!r} differs from its 0000 line; 0000 line used")
    for item in (
        problems.unparsed_lines
        + problems.unparsed_entries
        + problems.duplicate_codes
        + problems.unordered_entries
        + problems.orphan_codes
    ):
        print(f"  problem: {item}", file=sys.stderr)

    if problems.fatal_count():
        print("not written: fix the problems above", file=sys.stderr)
        return 1
    write_csv(rows, OUTPUT)
    print(f"written: {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
