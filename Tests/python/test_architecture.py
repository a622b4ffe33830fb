"""ARCHITECTURE.md and the source tree are one fact: every folder under Sources/ has its line, and
every file's imports (between targets) and references (between the folders of a Swift target) stay
inside what its line allows.

The document is parsed, not copied: a folder line reads

    - `Sources/ScreenplanCore/Simulation/` — what it holds. Uses: Design, Network, Numerics.
    - `Sources/ScreenplanTUI/` — what it holds. Imports: Foundation, ScreenplanCore.

`Imports:` (target lines) lists the modules a target's files may import; `Uses:` (folder lines of
a Swift target) lists the sibling folders whose declarations its files may name. Inside one
module Swift has no imports, so a folder's dependencies are the types and functions it names that
another folder declares at the top level (found by declaration and identifier, comments and string literals
removed). Package.swift's target dependencies must agree with the `Imports:` lines in both
directions. Standard library only, so `make check` runs it with the system python3:

    python3 Tests/python/test_architecture.py        # prints the violations, exit 1 if any
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from swiftsource import lex, masked  # noqa: E402

LINE = re.compile(r"^- `(Sources/[^`]+?)/?`\s+—\s+(.*)$")
LIST = {"Imports": re.compile(r"\bImports:\s*([^.]*)\."), "Uses": re.compile(r"\bUses:\s*([^.]*)\.")}
DECL = re.compile(
    r"^(?:(?:public|internal|fileprivate|private|package|final|open|indirect|nonisolated|"
    r"@[A-Za-z_]+(?:\([^)]*\))?)\s+)*(?:struct|enum|class|protocol|actor|typealias|func)\s+([A-Za-z_]\w*)",
    re.M,
)
IMPORT = re.compile(r"^\s*(?:@[A-Za-z_]+(?:\([^)]*\))?\s+)*import\s+(?:(?:struct|enum|class|func|var|protocol)\s+)?([A-Za-z_]\w*)", re.M)
IDENT = re.compile(r"(?<![.\w])[A-Za-z_]\w*\b")  # not a member (`x.name`)


def parse_doc(text):
    """{folder: {"Imports": set|None, "Uses": set|None}} from the folder lines of ARCHITECTURE.md."""
    rules = {}
    for line in text.splitlines():
        m = LINE.match(line.strip())
        if not m:
            continue
        entry = {}
        for key, pattern in LIST.items():
            found = pattern.search(m.group(2))
            entry[key] = None if found is None else {w.strip().strip("`") for w in found.group(1).split(",") if w.strip() and w.strip() != "none"}
        rules[m.group(1).rstrip("/")] = entry
    return rules


def strip_comments_and_strings(src):
    """The code of a Swift file with comments and string literals blanked; interpolations are
    kept (`"\\(x.y)"` names `x`)."""
    return masked(src, lex(src))


def target_of(folder):
    parts = folder.split("/")
    return "/".join(parts[:2])


def violations(rules, files):
    """The breaches of `rules` by `files` ({path relative to the root: source}), as sentences."""
    problems = []
    # `private(set)` is an access modifier, not a use of a function named `set`.
    code = {path: re.sub(r"\(set\)", "()", strip_comments_and_strings(src)) for path, src in files.items()}
    folders = {}
    for path in files:
        parts = path.split("/")
        folders[path] = "/".join(parts[:3]) if len(parts) > 3 else "/".join(parts[:2])
    # Imports between targets.
    for path, src in code.items():
        target = target_of(folders[path])
        allowed = (rules.get(target) or {}).get("Imports")
        if allowed is None:
            problems.append(f"{target}: no `Imports:` in its ARCHITECTURE.md line ({path})")
            continue
        for m in IMPORT.finditer(src):
            if m.group(1) not in allowed:
                problems.append(f"{path} imports {m.group(1)}; ARCHITECTURE.md allows {target} to import {', '.join(sorted(allowed)) or 'nothing'}")
    # References between the folders of one target.
    owners = {}
    for path, src in code.items():
        for m in DECL.finditer(src):
            owners.setdefault((target_of(folders[path]), m.group(1)), set()).add(folders[path])
    for path, src in code.items():
        folder, target = folders[path], target_of(folders[path])
        if folder == target:
            continue
        uses = (rules.get(folder) or {}).get("Uses")
        if uses is None:
            problems.append(f"{folder}: no `Uses:` in its ARCHITECTURE.md line ({path})")
            continue
        for name in sorted(set(IDENT.findall(src))):
            where = owners.get((target, name), set())
            if len(where) != 1 or folder in where or target in where:
                continue  # declared here, in the target's own root files, nowhere, or twice
            other = next(iter(where))
            if other.split("/")[-1] not in uses:
                problems.append(f"{path} names {name} from {other}; ARCHITECTURE.md lets {folder} use {', '.join(sorted(uses)) or 'no sibling folder'}")
    return problems


def tree():
    files = {}
    for p in sorted((ROOT / "Sources").rglob("*.swift")):
        files[str(p.relative_to(ROOT))] = p.read_text(encoding="utf-8")
    return files


def folders_on_disk():
    found = set()
    for p in (ROOT / "Sources").glob("*"):
        if p.is_dir():
            found.add(str(p.relative_to(ROOT)))
            found.update(str(q.relative_to(ROOT)) for q in p.glob("*") if q.is_dir())
    return found


def doc_rules():
    return parse_doc((ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8"))


def test_every_folder_has_one_line_and_every_line_a_folder():
    rules, disk = doc_rules(), folders_on_disk()
    assert not disk - set(rules), f"folders without a line in ARCHITECTURE.md: {sorted(disk - set(rules))}"
    assert not set(rules) - disk, f"ARCHITECTURE.md lines for missing folders: {sorted(set(rules) - disk)}"


def test_imports_and_references_follow_architecture_md():
    problems = violations(doc_rules(), tree())
    assert not problems, "\n".join(problems)


def test_the_check_catches_a_terminal_import_in_core_and_a_forbidden_folder_use():
    rules, files = doc_rules(), tree()
    core = "Sources/ScreenplanCore/Simulation/Probe.swift"
    files[core] = "import CNcursesw\nfunc probe() { _ = ReportModel.self }\n"
    problems = violations(rules, files)
    assert any("Probe.swift imports CNcursesw" in p for p in problems), problems
    assert any("Probe.swift names ReportModel" in p for p in problems), problems
    # Names inside comments and string literals are not uses; interpolations are.
    files[core] = '// ReportModel\nlet a = "ReportModel"\nlet b = """\nReportModel\n"""\n'
    assert not [p for p in violations(rules, files) if "Probe.swift" in p]
    files[core] = 'let c = "\\(ReportModel.self)"\n'
    assert any("Probe.swift names ReportModel" in p for p in violations(rules, files))


TARGET = re.compile(r'\.(?:target|executableTarget|systemLibrary)\(\s*name:\s*"([^"]+)"')


def package_targets(text):
    """{target: its direct dependencies} of the targets in Package.swift (a target's call is
    read up to its closing parenthesis)."""
    targets = {}
    for m in TARGET.finditer(text):
        depth, end = 1, m.end()
        while depth:
            depth += {"(": 1, ")": -1}.get(text[end], 0)
            end += 1
        deps = re.search(r"dependencies:\s*\[(.*?)\]\s*(?:,\s*\w+:|\)$)", text[m.end():end], re.S)
        # `.product(name: "ArgumentParser", package: "swift-argument-parser")` names ArgumentParser.
        names = re.sub(r'package:\s*"[^"]*"', "", deps.group(1)) if deps else ""
        targets[m.group(1)] = set(re.findall(r'"([^"]+)"', names))
    return targets


def closure(targets, name):
    seen, todo = set(), list(targets.get(name, ()))
    while todo:
        t = todo.pop()
        if t not in seen:
            seen.add(t)
            todo.extend(targets.get(t, ()))
    return seen


def package_problems(rules, package_text):
    """Where Package.swift and ARCHITECTURE.md disagree, as sentences: a target depends only on
    what its line lets it import, and its line lets it import only what it depends on (directly
    or through the targets below it), so neither can point a layer upwards without the other;
    the core, the TUI and the commands never reach the executable, the terminal or ArgumentParser."""
    problems = []
    targets = package_targets(package_text)
    for name in sorted(targets):
        rule = rules.get(f"Sources/{name}")
        if rule is None or rule["Imports"] is None:
            continue  # Tests/TestSupport lives outside Sources/
        direct, reachable = targets[name], closure(targets, name)
        if not direct <= rule["Imports"]:
            problems.append(f"Package.swift: {name} depends on {', '.join(sorted(direct - rule['Imports']))}, which its ARCHITECTURE.md line does not let it import")
        if not rule["Imports"] - {"Foundation"} <= reachable:
            problems.append(f"ARCHITECTURE.md lets {name} import {', '.join(sorted(rule['Imports'] - {'Foundation'} - reachable))}, which Package.swift does not give it")
    for low in ("ScreenplanCore", "ScreenplanTUI", "ScreenplanCommands"):
        up = closure(targets, low) & {"screenplan", "ScreenplanTerminal", "ArgumentParser", "CNcursesw"}
        if up:
            problems.append(f"Package.swift: {low} reaches {', '.join(sorted(up))}, above it")
    return problems


def test_package_dependencies_and_architecture_md_point_the_same_way():
    text = (ROOT / "Package.swift").read_text(encoding="utf-8")
    assert {"ScreenplanCore", "ScreenplanTUI", "ScreenplanCommands", "screenplan"} <= set(package_targets(text))
    problems = package_problems(doc_rules(), text)
    assert not problems, "\n".join(problems)
    # The check sees a dependency pointing up.
    broken = text.replace('.target(name: "ScreenplanTUI", dependencies: ["ScreenplanCore"])',
                          '.target(name: "ScreenplanTUI", dependencies: ["ScreenplanCore", "ScreenplanTerminal"])')
    assert broken != text and any("ScreenplanTUI" in p for p in package_problems(doc_rules(), broken))


if __name__ == "__main__":
    rules, disk = doc_rules(), folders_on_disk()
    found = [f"no ARCHITECTURE.md line for {f}" for f in sorted(disk - set(rules))]
    found += [f"ARCHITECTURE.md names missing folder {f}" for f in sorted(set(rules) - disk)]
    found += violations(rules, tree())
    found += package_problems(rules, (ROOT / "Package.swift").read_text(encoding="utf-8"))
    print("\n".join(found) if found else f"ARCHITECTURE.md: {len(rules)} folders, imports and uses as declared")
    sys.exit(1 if found else 0)
