#!/usr/bin/env python3
"""Compare the audit corpus's `-- EXPECT:` lines with the findings recorded
in the pg_regress output of tests/pg_regress/sql/audit_corpus.sql.

    python3 tests/corpus/check_expectations.py               # expected/audit_corpus.out
    python3 tests/corpus/check_expectations.py RESULTS.out   # e.g. a TG_REGRESS_KEEP run

EXPECT syntax (one per line, anywhere in the corpus file):

    -- EXPECT: <code> <schema>[.<object>][ <policy>][ | <schema>[.<object>][ <policy>] ...]

<object> is a table or view (matched against the finding's table_name) or a
function (matched against the name in the finding's object, e.g.
`public.f()`); a schema alone is a schema-wide finding. Without <policy> the
expectation matches a finding on that object whatever its policy_name.
Alternatives separated by `|` describe one defect the audit may attach to
either object (a policy cycle T -> U -> T): a finding on any of them meets
the expectation, and findings on the others are expected too.

saas_leaky.sql: every EXPECT line must be met and every finding expected.
saas_clean.sql: no warn/error finding at all; each info finding must be
covered by an EXPECT line there, and each EXPECT line met.

Unmet expectations whose code has not landed yet (no section in
docs/checks.md and no finding of that code in the output) are "pending", so
the report stays readable while check families land. Exit status: 0 when
everything matches (pending allowed unless --strict), 1 otherwise, 2 on a
usage or parse error.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
DEFAULT_OUT = ROOT / "tests" / "pg_regress" / "expected" / "audit_corpus.out"

LEAKY = HERE / "saas_leaky.sql"
CLEAN = HERE / "saas_clean.sql"

MARK_LEAKY = "-- corpus: saas_leaky findings"
MARK_CLEAN_BAD = "-- corpus: saas_clean warn/error findings"
MARK_CLEAN_INFO = "-- corpus: saas_clean info findings"

EXPECT_RE = re.compile(r"^\s*--\s*EXPECT:\s*(.*?)\s*$")
IDENT = r"[A-Za-z_][A-Za-z0-9_$]*"
TARGET_RE = re.compile(rf"^({IDENT})(?:\.({IDENT}))?$")
NULL = "<NULL>"


@dataclass(frozen=True)
class Target:
    schema: str
    name: str | None
    policy: str | None

    def __str__(self) -> str:
        s = self.schema + (f".{self.name}" if self.name else "")
        return s + (f" {self.policy}" if self.policy else "")


@dataclass(frozen=True)
class Expectation:
    code: str
    targets: tuple[Target, ...]  # alternatives: one finding on any of them
    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.code} " + " | ".join(str(t) for t in self.targets)


@dataclass(frozen=True)
class Finding:
    code: str
    level: str
    schema: str | None
    table: str | None
    policy: str | None
    other: str | None  # the finding's object when it has no table

    @property
    def target(self) -> tuple[str | None, str | None]:
        """(schema, object name) the finding is about."""
        if self.table is not None:
            return self.schema, self.table
        if self.other:
            obj = self.other.split("(", 1)[0].replace('"', "")
            if "." in obj:
                schema, name = obj.split(".", 1)
                return schema, name
            if self.schema in (None, obj):
                return obj, None  # a schema-wide finding
            return self.schema, obj
        return self.schema, None

    def __str__(self) -> str:
        schema, name = self.target
        s = f"{self.code} {schema or '-'}"
        if name:
            s += f".{name}"
        if self.policy:
            s += f" {self.policy}"
        return f"{s}  [{self.level}]"


def parse_expectations(path: Path) -> list[Expectation]:
    out = []
    for no, text in enumerate(path.read_text().splitlines(), 1):
        m = EXPECT_RE.match(text)
        if not m:
            continue
        code, _, rest = m.group(1).partition(" ")
        targets = []
        for alt in rest.split("|"):
            parts = alt.split()
            t = TARGET_RE.match(parts[0]) if parts else None
            if not t or len(parts) > 2:
                targets = []
                break
            targets.append(Target(t.group(1), t.group(2), parts[1] if len(parts) == 2 else None))
        if not targets or not re.fullmatch(r"[a-z_0-9]+", code):
            sys.exit(f"{path.name}:{no}: bad EXPECT line: {text.strip()}\n"
                     "  syntax: -- EXPECT: <code> <schema>[.<object>][ <policy>][ | <alternative>...]")
        out.append(Expectation(code, tuple(targets), path.name, no))
    # Catch typos: every target must name something the file mentions.
    body = "\n".join(l for l in path.read_text().splitlines() if not EXPECT_RE.match(l))
    for e in out:
        for t in e.targets:
            for word in filter(None, [f"{t.schema}.{t.name}" if t.name else t.schema, t.policy]):
                if not re.search(rf"(?<![\w.]){re.escape(word)}(?!\w)", body):
                    sys.exit(f"{e.file}:{e.line}: EXPECT names {word!r}, which {e.file} never mentions")
    return out


def parse_table(lines: list[str], start: int) -> tuple[list[str], list[list[str | None]], int]:
    """The first psql aligned table at or after `start` whose header has a
    `code` column: (header, rows, index after the table)."""
    i = start
    while i < len(lines):
        if (i + 1 < len(lines) and "|" in lines[i]
                and re.fullmatch(r"-+(\+-+)*", lines[i + 1].strip())):
            header = [h.strip() for h in lines[i].split("|")]
            j = i + 2
            rows = []
            while j < len(lines) and not re.fullmatch(r"\(\d+ rows?\)", lines[j].strip()):
                cells = [c.strip() for c in lines[j].split("|")]
                if len(cells) != len(header):
                    raise ValueError(f"line {j + 1}: expected {len(header)} cells: {lines[j]!r}")
                rows.append([None if c == NULL or c == "" else c for c in cells])
                j += 1
            if "code" in header:
                return header, rows, j
            i = j
        i += 1
    raise ValueError(f"no findings table after line {start + 1}")


def findings_after(lines: list[str], marker: str) -> list[Finding]:
    try:
        start = next(i for i, l in enumerate(lines) if l.strip().startswith(marker))
    except StopIteration:
        raise ValueError(f"marker {marker!r} not found (did the test stop early?)")
    header, rows, _ = parse_table(lines, start + 1)
    col = {h: k for k, h in enumerate(header)}
    get = lambda r, h: r[col[h]] if h in col else None
    return [Finding(get(r, "code"), get(r, "level"), get(r, "schema_name"), get(r, "table_name"),
                    get(r, "policy_name"), get(r, "other_object")) for r in rows]


def matches(e: Expectation, f: Finding, strict_name: bool) -> bool:
    if e.code != f.code:
        return False
    schema, name = f.target
    for t in e.targets:
        if schema != t.schema:
            continue
        if t.name is not None and name != t.name:
            continue
        if t.name is None and strict_name and name is not None:
            continue
        if t.policy is None or t.policy == f.policy:
            return True
    return False


def pair(expects: list[Expectation], findings: list[Finding]):
    """Greedy one-to-one pairing, exact policy/object matches first.
    Returns (met, unmet, unexpected)."""
    free = list(findings)
    met, unmet = [], []
    order = sorted(expects, key=lambda e: (len(e.targets), any(t.policy is None for t in e.targets),
                                          any(t.name is None for t in e.targets)))
    for e in order:
        hit = next((f for f in free if matches(e, f, strict_name=True)), None)
        if hit is None:
            hit = next((f for f in free if matches(e, f, strict_name=False)), None)
        if hit is None:
            unmet.append(e)
        else:
            free.remove(hit)
            met.append((e, hit))
    # A finding that repeats an already met expectation (e.g. one per role)
    # is expected too.
    unexpected = [f for f in free if not any(matches(e, f, strict_name=False) for e in expects)]
    met.sort(key=lambda p: (p[0].file, p[0].line))
    unmet.sort(key=lambda e: (e.file, e.line))
    return met, unmet, unexpected


def implemented_codes() -> set[str]:
    """Codes that have landed: documented in docs/checks.md (a core test keeps
    the docs and the check table in sync). Codes only in work-in-progress
    sources do not count: the recorded output comes from the installed build."""
    docs = ROOT / "docs" / "checks.md"
    if not docs.exists():
        return set()
    return set(re.findall(r"^###\s+`([a-z_0-9]+)`", docs.read_text(), re.M))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("output", nargs="?", type=Path, default=DEFAULT_OUT,
                    help=f"pg_regress output to check (default: {DEFAULT_OUT.relative_to(ROOT)})")
    ap.add_argument("-q", "--quiet", action="store_true", help="only the summary and problems")
    ap.add_argument("--strict", action="store_true",
                    help="pending expectations fail too (once every check has landed)")
    args = ap.parse_args()

    try:
        lines = args.output.read_text().splitlines()
        leaky_findings = findings_after(lines, MARK_LEAKY)
        clean_bad = findings_after(lines, MARK_CLEAN_BAD)
        clean_info = findings_after(lines, MARK_CLEAN_INFO)
    except (OSError, ValueError) as err:
        print(f"check_expectations: {args.output}: {err}", file=sys.stderr)
        return 2
    leaky_expects = parse_expectations(LEAKY)
    clean_expects = parse_expectations(CLEAN)
    # A code has landed when docs/checks.md documents it or the build that
    # produced the output reported it somewhere.
    implemented = implemented_codes() | {f.code for f in leaky_findings + clean_bad + clean_info}
    ok = True

    # --- leaky ---------------------------------------------------------------
    met, unmet, unexpected = pair(leaky_expects, leaky_findings)
    pending = [e for e in unmet if e.code not in implemented]
    missing = [e for e in unmet if e.code in implemented]
    print(f"saas_leaky.sql: {len(leaky_expects)} expectations, {len(leaky_findings)} findings "
          f"in {args.output.name}")
    print(f"  met {len(met)}, missing {len(missing)}, pending {len(pending)} "
          f"(check not landed yet), unexpected {len(unexpected)}")
    if met and not args.quiet:
        print("\n  met:")
        for e, f in met:
            print(f"    {e}  [{f.level}]   ({e.file}:{e.line})")
    if missing:
        ok = False
        print("\n  MISSING (the check exists but did not report this):")
        for e in missing:
            print(f"    {e}   ({e.file}:{e.line})")
    if pending:
        print("\n  pending (code not landed yet: not in docs/checks.md, never reported):")
        width = max(len(str(e)) for e in pending)
        for e in pending:
            print(f"    {str(e):<{width}}   ({e.file}:{e.line})")
    if unexpected:
        ok = False
        print("\n  UNEXPECTED (reported, no EXPECT line; add one or fix the check):")
        for f in unexpected:
            print(f"    {f}")

    # --- clean ---------------------------------------------------------------
    print(f"\nsaas_clean.sql: {len(clean_bad)} warn/error findings (must be 0), "
          f"{len(clean_info)} info findings, {len(clean_expects)} documented")
    if clean_bad:
        ok = False
        print("  WARN/ERROR FINDINGS ON THE CLEAN CORPUS:")
        for f in clean_bad:
            print(f"    {f}")
    cmet, cunmet, cunexpected = pair(clean_expects, clean_info)
    for e, f in cmet:
        if not args.quiet:
            print(f"  documented info: {e}   ({e.file}:{e.line})")
    for e in cunmet:
        pend = e.code not in implemented
        ok = ok and pend
        print(f"  {'pending' if pend else 'MISSING'}: {e}   ({e.file}:{e.line})")
    for f in cunexpected:
        ok = False
        print(f"  UNDOCUMENTED INFO FINDING: {f}")

    # --- per code --------------------------------------------------------------
    if not args.quiet:
        codes = sorted({e.code for e in leaky_expects} | {f.code for f in leaky_findings})
        print("\nper code (saas_leaky): expected / met / reported")
        for c in codes:
            n_exp = sum(e.code == c for e in leaky_expects)
            n_met = sum(e.code == c for e, _ in met)
            n_rep = sum(f.code == c for f in leaky_findings)
            note = "" if c in implemented else "   (not landed yet)"
            print(f"  {c:<30} {n_exp:>3} / {n_met:>3} / {n_rep:>3}{note}")

    n_pending = len(pending) + sum(e.code not in implemented for e in cunmet)
    if args.strict and n_pending:
        ok = False
    verdict = "OK" if ok else "MISMATCH"
    if n_pending:
        verdict += f" ({n_pending} expectation{'s' if n_pending != 1 else ''} pending)"
    print("\nresult:", verdict)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
