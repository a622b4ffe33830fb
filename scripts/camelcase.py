#!/usr/bin/env python3
"""Rename the snake_case properties of the Swift sources to lowerCamelCase, keeping every file key.

The design file, run.json and the JSON outputs use snake_case keys (`cells_per_perturbation`);
the Swift surface mirrored them (`d.sampling.cells_per_perturbation`, `protocol_`). This script
gives the properties Swift names and keeps the keys where they are read and written:

1. Discovers every snake_case `var`/`let` declared as a member of a type (struct, class, enum,
   actor, protocol, extension) in Sources/ and Tests/, plus `protocol_` (→ `protocolSteps`), so
   fields added since it was written are covered. A snake_case `@Option`/`@Flag`/`@Argument`
   property keeps its name everywhere (argument-parser derives the flag from it).
2. Keeps the keys: a `CodingKeys` case that is renamed gets its old name as raw value
   (`case log2Fc = "log2_fc"`), as does a renamed case of any String-valued enum; a type with
   synthesized Codable (declared `Codable`/`Encodable`/`Decodable`, on the type or an extension)
   and no `CodingKeys` gets one listing its stored properties with their old keys.
   DesignReader reads fields by string keys (untouched), the YAML and JSON writers encode through
   Codable (keys from `CodingKeys`).
3. Renames every use as a whole word in code, including string interpolations
   (`"\\(d.sampling.cells_per_perturbation)"` is code), but never inside string literals (plain,
   multi-line, raw), and inside comments only names that are not file keys (a name that is a key
   of a Codable type or appears in a string literal stays as written in comments, where it
   usually means the key).

It is idempotent: a second run finds no snake_case member and changes nothing. It refuses (exit 2,
nothing written) when a new name would collide with a member the type already declares; add the
name to OVERRIDES then.

Run it from the repository root after merging, then build and test:

    python3 scripts/camelcase.py            # rewrites Sources/ and Tests/ in place, prints a summary
    python3 scripts/camelcase.py --dry-run  # prints what it would rename and where keys are added
    python3 scripts/camelcase.py --check    # exit 1 when a snake_case member property is left
    swift build && swift test && make test  # the JSON, the file format and seeded outputs are unchanged

Standard library only (Python 3.8+).
"""
import argparse
import pathlib
import re
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from swiftsource import lex, masked  # noqa: E402

ROOTS = ("Sources", "Tests")
# Names whose mechanical camelCase is not a valid or wanted Swift name.
OVERRIDES = {"protocol_": "protocolSteps"}
SNAKE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$")
IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
TYPE_KEYWORDS = {"struct", "class", "enum", "actor", "extension", "protocol"}
CODABLE = re.compile(r"\b(?:Codable|Encodable|Decodable)\b")


def camel(name):
    if name in OVERRIDES:
        return OVERRIDES[name]
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def is_snake(name):
    return name in OVERRIDES or bool(SNAKE.match(name))


# MARK: - Discovering types, members and cases


class TypeFrame:
    def __init__(self, kind, name, header, parent):
        self.kind, self.name, self.header, self.parent = kind, name, header, parent
        self.qualified = f"{parent.qualified}.{name}" if parent and parent.qualified else name
        self.members = []  # (name, stored, static, position)
        self.cases = []  # (name, end of name, has raw value)
        self.functions = set()
        self.cli = set()  # properties that are command-line options (their name is the flag)
        self.body_start = self.body_end = None
        self.nested = []

    def inheritance(self):
        head = self.header.split("where")[0]
        return head.split(":", 1)[1] if ":" in head else ""


def parse(text, path):
    """The type frames of a masked Swift file, with their member properties and enum cases."""
    frames, stack = [], []  # stack entries: TypeFrame or None (a non-type block)
    pending = None
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "{":
            if pending is not None:
                kind, name, header_start = pending
                parent = next((f for f in reversed(stack) if f is not None), None)
                frame = TypeFrame(kind, name, text[header_start:i], parent if kind != "extension" else None)
                if kind == "extension":
                    frame.qualified = name
                frame.body_start = i + 1
                frame.path = path
                frames.append(frame)
                if parent is not None and kind != "extension":
                    parent.nested.append(frame)
                stack.append(frame)
                pending = None
            else:
                stack.append(None)
            i += 1
            continue
        if c == "}":
            if stack:
                top = stack.pop()
                if top is not None:
                    top.body_end = i
            i += 1
            continue
        m = IDENT.match(text, i)
        if not m or (i > 0 and (text[i - 1].isalnum() or text[i - 1] == "_")):
            i += 1
            continue
        word = m.group(0)
        i = m.end()
        top = stack[-1] if stack else None
        if word in TYPE_KEYWORDS and pending is None:
            prev = text[:m.start()].rstrip()[-1:] if m.start() else ""
            if prev == ".":
                continue  # `.enum`, `Foo.self.class` etc.
            nm = re.compile(r"\s+([A-Za-z_][A-Za-z0-9_.]*)").match(text, i)
            if nm:
                pending = (word, nm.group(1), m.start())
                i = nm.end()
            continue
        if pending is not None:
            continue
        if top is None:
            continue
        if word in ("var", "let"):
            decl = re.compile(r"\s+([A-Za-z_][A-Za-z0-9_]*)").match(text, i)
            if not decl:
                continue
            line_start = text.rfind("\n", 0, m.start()) + 1
            prefix = text[line_start:m.start()]
            static = bool(re.search(r"\b(static|class)\b", prefix))
            # An argument-parser property: its name is the command-line flag (`--min_batches`).
            since = max([top.body_start] + [pos for *_, pos in top.members])
            if re.search(r"@(?:Option|Flag|Argument|OptionGroup)\b", text[since:m.start()]):
                for name, _ in declared_names(text, decl.start(1)):
                    top.cli.add(name)
            for name, stored in declared_names(text, decl.start(1)):
                top.members.append((name, stored, static, decl.start(1)))
            i = decl.end()
        elif word == "case" and top.kind == "enum":
            j = i
            while True:
                cm = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)").match(text, j)
                if not cm:
                    break
                j = cm.end()
                rest = text[j:j + 200]
                raw = re.match(r"\s*=", rest) is not None
                top.cases.append((cm.group(1), cm.end(1), raw))
                # skip an associated value list or raw value up to the next ',' or newline
                depth = 0
                while j < n:
                    ch = text[j]
                    if ch in "([":
                        depth += 1
                    elif ch in ")]":
                        depth -= 1
                    elif depth == 0 and (ch == "\n" or ch == "," or ch == "}"):
                        break
                    j += 1
                if j < n and text[j] == ",":
                    j += 1
                    continue
                break
            i = j
        elif word == "func":
            fm = re.compile(r"\s+([A-Za-z_][A-Za-z0-9_]*)").match(text, i)
            if fm:
                top.functions.add(fm.group(1))
    return frames


def declared_names(text, at):
    """The names of a `var`/`let` declaration starting at `at` (one or a comma list), each with
    whether it is stored (no accessor block right after its type)."""
    out = []
    i, n = at, len(text)
    while True:
        m = IDENT.match(text, i)
        if not m:
            break
        name = m.group(0)
        i = m.end()
        depth, stored, has_init = 0, True, False
        while i < n:
            ch = text[i]
            if ch in "([<":
                depth += 1
            elif ch in ")]>":
                depth -= 1
            elif depth == 0 and ch == "=" and text[i + 1:i + 2] != "=" and text[i - 1] not in "!<>=":
                has_init = True
                # skip the initial value to the end of the line at depth 0
                d2 = 0
                while i < n:
                    ch = text[i]
                    if ch in "([{":
                        d2 += 1
                    elif ch in ")]}":
                        if d2 == 0:
                            break
                        d2 -= 1
                    elif ch == "\n" and d2 == 0:
                        break
                    elif ch == "," and d2 == 0:
                        break
                    i += 1
                break
            elif depth == 0 and ch == "{":
                after = text[i + 1:i + 200].lstrip()
                stored = after.startswith("willSet") or after.startswith("didSet")
                break
            elif depth == 0 and (ch == "\n" or ch == "," or ch == ";" or ch == "}"):
                break
            i += 1
        out.append((name, stored))
        if i < n and text[i] == ",":
            nxt = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*:").match(text, i + 1)
            if nxt:
                i = nxt.start(1)
                continue
        break
    return out


# MARK: - The rewrite


def files():
    for root in ROOTS:
        for p in sorted(pathlib.Path(root).rglob("*.swift")):
            if ".build" not in p.parts:
                yield p


def plan(sources):
    """What to rename and which edits keep the keys: (renames, insertions by path, notes)."""
    parsed = {}
    for path, src in sources.items():
        spans = lex(src)
        parsed[path] = (spans, parse(masked(src, spans), path))
    renames, kept = {}, set()
    for path, (spans, frames) in parsed.items():
        for f in frames:
            for name, _, _, _ in f.members:
                if is_snake(name):
                    renames[name] = camel(name)
            kept |= {name for name in f.cli if is_snake(name)}
    # A snake_case command-line property keeps its name (and so its flag) everywhere.
    for name in kept:
        renames.pop(name, None)
    # Codable conformance declared on the type or on an extension.
    codable_names = set()
    for path, (spans, frames) in parsed.items():
        for f in frames:
            if CODABLE.search(f.inheritance()):
                codable_names.add(f.qualified)
                codable_names.add(f.name)
    problems, notes = [], [f"kept (a command-line flag): {name}" for name in sorted(kept)]
    insertions = {path: [] for path in sources}
    file_keys = set()
    for path, (spans, frames) in parsed.items():
        src = sources[path]
        for kind, a, b in spans:
            if kind == "string":
                file_keys.update(w for w in IDENT.findall(src[a:b]) if w in renames)
    by_qualified = {}
    for path, (spans, frames) in parsed.items():
        for f in frames:
            by_qualified.setdefault(f.qualified, []).append(f)
    for path, (spans, frames) in parsed.items():
        src = sources[path]
        for f in frames:
            if f.kind == "extension":
                continue
            declared = {name for name, *_ in f.members} | f.functions | {c[0] for c in f.cases}
            for ext in by_qualified.get(f.qualified, []):
                if ext is not f:
                    declared |= {name for name, *_ in ext.members} | ext.functions
            for name, *_ in f.members:
                if name in renames and renames[name] in declared and renames[name] != name:
                    problems.append(f"{path}: {f.qualified}.{name} → {renames[name]} collides with a member of that name")
            if f.kind == "enum":
                stringy = re.search(r"\b(String|CodingKey)\b", f.inheritance()) is not None
                for name, end, raw in f.cases:
                    if name in renames and not raw:
                        if stringy:
                            insertions[path].append((end, f' = "{name}"'))
                        elif CODABLE.search(f.inheritance()):
                            problems.append(f"{path}: case {f.qualified}.{name} is a Codable key without a raw value")
            stored = [(name, pos) for name, st, static, pos in f.members if st and not static]
            if f.kind in ("struct", "class") and any(n in renames for n, _ in stored):
                keys_in_type = any(x.name == "CodingKeys" for x in f.nested) or any(
                    x.name == "CodingKeys" for ext in by_qualified.get(f.qualified, []) if ext is not f for x in parsed_nested(ext))
                file_keys.update(n for n, _ in stored if n in renames and (f.qualified in codable_names or f.name in codable_names))
                if (f.qualified in codable_names or f.name in codable_names) and not keys_in_type:
                    insertions[path].append((closing_line_start(src, f.body_end), coding_keys(src, f, stored, renames)))
                    notes.append(f"{path}: CodingKeys for {f.qualified}")
    return renames, insertions, file_keys, problems, notes


def parsed_nested(frame):
    return frame.nested


def closing_line_start(src, brace):
    """Where to insert before the type's closing brace: the start of its line when the brace
    starts the line, else the brace itself."""
    line_start = src.rfind("\n", 0, brace) + 1
    return line_start if src[line_start:brace].strip() == "" else brace


def coding_keys(src, frame, stored, renames):
    line_start = src.rfind("\n", 0, frame.body_end) + 1
    close_indent = re.match(r"[ \t]*", src[line_start:]).group(0)
    if src[line_start:frame.body_end].strip():
        close_indent = re.match(r"[ \t]*", src[src.rfind("\n", 0, frame.body_start) + 1:]).group(0)
    indent = close_indent + "    "
    cases = []
    for name, _ in stored:
        cases.append(f'{renames[name]} = "{name}"' if name in renames else name)
    lines = [f"\n{indent}/// The keys of the file format (snake_case), kept when the properties were renamed.",
             f"{indent}enum CodingKeys: String, CodingKey {{"]
    for case in cases:
        lines.append(f"{indent}    case {case}")
    lines.append(f"{indent}}}\n")
    text = "\n".join(lines)
    at_line_start = src[line_start:frame.body_end].strip() == ""
    return text if at_line_start else text + close_indent


def rewrite(src, insertions, renames, file_keys):
    for pos, text in sorted(insertions, key=lambda x: -x[0]):
        src = src[:pos] + text + src[pos:]
    spans = lex(src)
    word = re.compile(r"(?<![A-Za-z0-9_])(" + "|".join(sorted(map(re.escape, renames), key=len, reverse=True)) + r")(?![A-Za-z0-9_])") if renames else None
    out = []
    for kind, a, b in spans:
        part = src[a:b]
        if word is not None and kind == "code":
            part = word.sub(lambda m: renames[m.group(1)], part)
        elif word is not None and kind == "comment":
            part = word.sub(lambda m: m.group(1) if m.group(1) in file_keys else renames[m.group(1)], part)
        out.append(part)
    return "".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dry-run", action="store_true", help="print the plan, write nothing")
    ap.add_argument("--check", action="store_true", help="exit 1 when snake_case member properties remain")
    args = ap.parse_args()
    sources = {str(p): p.read_text(encoding="utf-8") for p in files()}
    renames, insertions, file_keys, problems, notes = plan(sources)
    if args.check:
        print(f"{len(renames)} snake_case member properties" + (": " + ", ".join(sorted(renames)) if renames else ""))
        return 1 if renames else 0
    if problems:
        print("refused, nothing written:\n" + "\n".join(problems), file=sys.stderr)
        return 2
    changed = {}
    for path, src in sources.items():
        new = rewrite(src, insertions[path], renames, file_keys)
        if new != src:
            changed[path] = new
    if args.dry_run:
        for old in sorted(renames):
            print(f"{old} → {renames[old]}" + ("  (file key)" if old in file_keys else ""))
        print("\n".join(notes))
        print(f"{len(renames)} names, {len(changed)} files would change")
        return 0
    for path, new in changed.items():
        pathlib.Path(path).write_text(new, encoding="utf-8")
    keys = sum(1 for n in notes if "CodingKeys for" in n) if changed else 0
    print("\n".join(n for n in notes if n.startswith("kept")))
    print(f"{len(renames)} names renamed, {keys} CodingKeys added, {len(changed)} files changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
