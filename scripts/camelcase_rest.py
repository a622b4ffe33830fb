#!/usr/bin/env python3
"""Rename the last names that keep swift-format's `AlwaysUseLowerCamelCase` rule off.

scripts/camelcase.py renamed the snake_case properties that mirrored file keys; what is left are
names with a unit suffix (`protocolDuration_h`, `maxStep_h`, `slowestRelaxationRate_per_h`), names
with a trailing underscore that dodge a keyword (`where_`, `self_`) and single capital letters
named after their formula (`X`, `H`, `S` in BlockDynamics.swift, `G` in Calibration.swift). This
script finds them the way the rule does, by running `swift format lint` with the rule switched on
(a temporary copy of .swift-format), so names added or removed by a merge are seen as they are:

1. A name declared as a member of a type is renamed in every file of Sources/ and Tests/, as a
   whole word in code (string interpolations included) and in comments, never inside string
   literals. When the type is Codable its file keys stay: a `CodingKeys` case gets the old name
   as raw value, and a type with synthesized Codable and no `CodingKeys` gets one listing its
   stored properties with their old keys (as camelcase.py does).
2. A local constant, variable or parameter is renamed in its own file only, in code only.
3. Members of `SimulationOptions` are left alone (another change moves them out of it); they are
   listed as skipped.

New names: a unit suffix joins in camelCase (`maxStep_h` → `maxStepH`, `…Rate_per_h` →
`…RatePerH`); the rest come from NAMES below (`where_` → `location`, `X` → `xP` beside the file's
`chRegP` pointers, …); a single capital letter not listed becomes its lower case. A name is
refused (and left as it is) when its new name already occurs in the files it would be renamed in.

Run it from the repository root after merging, then build and test:

    python3 scripts/camelcase_rest.py --dry-run  # what it would rename, where keys are kept
    python3 scripts/camelcase_rest.py            # rewrites Sources/ and Tests/ in place
    python3 scripts/camelcase_rest.py --check    # exit 1 while a name (other than skipped) is left
    make format && swift build && swift test     # the JSON, the file format and outputs unchanged

When `--check` passes and nothing is skipped, switch `AlwaysUseLowerCamelCase` on in
.swift-format (and drop its mention in ARCHITECTURE.md). Exit codes: 0 done (or nothing to do),
1 some names refused (`--check`: names left), 2 swift-format could not be run. Standard library
only; needs `swift format` (the toolchain ships it).
"""
import argparse
import json
import pathlib
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from camelcase import CODABLE, closing_line_start, coding_keys, parse  # noqa: E402
from swiftsource import lex, masked  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
ROOTS = ("Sources", "Tests")
RULE = "AlwaysUseLowerCamelCase"
FINDING = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+): \w+: \[" + RULE + r"\] rename the (?P<kind>[\w ]+?) "
                     r"'(?P<name>[^']+)' using lowerCamelCase")
# New names chosen by hand: (file name or None for any file, old name) → new name.
NAMES = {
    (None, "where_"): "location",  # CellSetup: where a cell sits in the plan; H5ADCounts: where a value is
    (None, "self_"): "ownUsage",  # BenchCommand: rusage of the process itself
    ("BlockDynamics.swift", "X"): "xP",  # pointers into the state, channel and sum blocks, named
    ("BlockDynamics.swift", "H"): "hP",  # like the file's chRegP and invHalfP
    ("BlockDynamics.swift", "S"): "sP",
    ("Calibration.swift", "G"): "geneCount",
}
# Types whose members another change moves or renames.
SKIPPED_TYPES = {"SimulationOptions": "sim-structure moves SimulationOptions' parameters"}


def new_name(path, name):
    base = pathlib.Path(path).name
    if (base, name) in NAMES:
        return NAMES[(base, name)]
    if (None, name) in NAMES:
        return NAMES[(None, name)]
    if re.fullmatch(r"[A-Z]", name):
        return name.lower()
    head, *rest = [p for p in name.split("_") if p]
    head = head[:1].lower() + head[1:]
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def findings(paths):
    """(path, line, column, kind, name) of every name the rule flags, found by swift-format."""
    config = json.loads((ROOT / ".swift-format").read_text(encoding="utf-8"))
    config.setdefault("rules", {})[RULE] = True
    with tempfile.NamedTemporaryFile("w", suffix=".swift-format", delete=False) as f:
        json.dump(config, f)
    try:
        run = subprocess.run(["swift", "format", "lint", "--configuration", f.name, "--recursive", *paths],
                             cwd=ROOT, capture_output=True, text=True)
    except OSError as error:
        print(f"cannot run swift format: {error}", file=sys.stderr)
        sys.exit(2)
    finally:
        pathlib.Path(f.name).unlink()
    found = []
    for line in (run.stdout + run.stderr).splitlines():
        m = FINDING.match(line.strip())
        if m:
            path = str(pathlib.Path(m["path"]).resolve().relative_to(ROOT))
            found.append((path, int(m["line"]), int(m["col"]), m["kind"], m["name"]))
    if run.returncode not in (0, 1) and not found:
        print(run.stderr, file=sys.stderr)
        sys.exit(2)
    return sorted(set(found))


def offset(src, line, col):
    starts = [0] + [i + 1 for i, c in enumerate(src) if c == "\n"]
    return starts[line - 1] + col - 1


def enclosing(frames, pos):
    """The innermost type frame whose body holds `pos`, and the chain of its names outwards."""
    inside = [f for f in frames if f.body_start is not None and f.body_end is not None
              and f.body_start <= pos < f.body_end]
    frame = min(inside, key=lambda f: f.body_end - f.body_start) if inside else None
    chain, f = [], frame
    while f is not None:
        chain.append(f.name)
        f = f.parent
    return frame, chain


def code_words(src):
    return set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", masked(src, lex(src))))


def rename(src, old, new, comments):
    word = re.compile(r"(?<![A-Za-z0-9_])" + re.escape(old) + r"(?![A-Za-z0-9_])")
    out = []
    for kind, a, b in lex(src):
        part = src[a:b]
        if kind == "code" or (kind == "comment" and comments):
            part = word.sub(new, part)
        out.append(part)
    return "".join(out)


def plan(sources):
    """The renames: (path of the declaration, old, new, member?, frame) with the problems."""
    frames = {path: parse(masked(src, lex(src)), path) for path, src in sources.items()}
    renames, skipped, refused = [], [], []
    for path, line, col, kind, name in findings(list(ROOTS)):
        src = sources.get(path)
        if src is None:
            continue
        pos = offset(src, line, col)
        frame, chain = enclosing(frames[path], pos)
        member = frame is not None and any(n == name and abs(p - pos) < 2 for n, _, _, p in frame.members)
        reason = next((SKIPPED_TYPES[t] for t in chain if t in SKIPPED_TYPES), None)
        if member and reason:
            skipped.append(f"{path}:{line}: {name} ({reason})")
            continue
        new = new_name(path, name)
        scope = list(sources) if member else [path]
        if any(new in code_words(sources[p]) for p in scope):
            refused.append(f"{path}:{line}: {name} → {new}: `{new}` already occurs in {'Sources/Tests' if member else path}")
            continue
        renames.append((path, name, new, member, frame))
    return renames, skipped, refused


def codable(frame, sources):
    if CODABLE.search(frame.inheritance()):
        return True
    ext = re.compile(r"\bextension\s+" + re.escape(frame.name) + r"\s*:[^{]*\b(?:Codable|Encodable|Decodable)\b")
    return any(ext.search(masked(s, lex(s))) for s in sources.values())


def keep_keys(sources, path, frame, renamed):
    """Keeps the file keys of a Codable type whose members `renamed` ({old: new}) are renamed."""
    src = sources[path]
    keys = next((f for f in frame.nested if f.name == "CodingKeys"), None)
    if keys is not None:
        for old, new in renamed.items():
            case = re.compile(r"(\bcase\s+(?:[A-Za-z0-9_]+\s*,\s*)*)" + re.escape(old) + r"(?![A-Za-z0-9_]|\s*=)")
            body = src[keys.body_start:keys.body_end]
            src = src[:keys.body_start] + case.sub(lambda m: m.group(1) + f'{old} = "{old}"', body, count=1) + src[keys.body_end:]
        return src, "raw values in CodingKeys"
    stored = [(n, p) for n, st, static, p in frame.members if st and not static]
    at = closing_line_start(src, frame.body_end)
    return src[:at] + coding_keys(src, frame, stored, renamed) + src[at:], "CodingKeys added"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dry-run", action="store_true", help="print the plan, write nothing")
    ap.add_argument("--check", action="store_true", help="exit 1 while a name the rule flags is left")
    args = ap.parse_args()
    sources = {str(p.relative_to(ROOT)): p.read_text(encoding="utf-8")
               for root in ROOTS for p in sorted((ROOT / root).rglob("*.swift"))}
    renames, skipped, refused = plan(sources)
    for line in skipped:
        print("skipped: " + line)
    for line in refused:
        print("refused: " + line)
    if args.check:
        print(f"{len(renames) + len(refused)} names left" + (f", {len(skipped)} skipped" if skipped else ""))
        return 1 if renames or refused else 0
    notes = []
    # File keys first (the frames' positions are those of the unchanged files), one type at a time.
    by_type = {}
    for path, old, new, member, frame in renames:
        stored = member and any(n == old and st and not static for n, st, static, _ in frame.members)
        if stored and codable(frame, sources):
            by_type.setdefault((path, frame.body_start), (frame, {}))[1][old] = new
    for (path, _), (frame, renamed) in sorted(by_type.items(), key=lambda x: -x[0][1]):
        sources[path], how = keep_keys(sources, path, frame, renamed)
        notes.append(f"{path}: {frame.qualified} keeps its file keys ({how})")
    changed = set(p for p, *_ in by_type)
    for path, old, new, member, _ in renames:
        for p in (list(sources) if member else [path]):
            text = rename(sources[p], old, new, comments=member)
            if text != sources[p]:
                sources[p] = text
                changed.add(p)
        notes.append(f"{path}: {old} → {new}" + (" (member, every file)" if member else " (local, this file)"))
    print("\n".join(notes))
    if args.dry_run:
        print(f"{len(renames)} names, {len(changed)} files would change (nothing written)")
        return 1 if refused else 0
    for p in changed:
        (ROOT / p).write_text(sources[p], encoding="utf-8")
    print(f"{len(renames)} names renamed, {len(changed)} files changed")
    return 1 if refused else 0


if __name__ == "__main__":
    sys.exit(main())
