"""Swift source as spans of code, string literals and comments, for the scripts and tests that
read Swift as text (scripts/camelcase.py, Tests/python/test_architecture.py). String
interpolations are code: in `"\\(d.sampling.x)"` the name `d` is used. Standard library only."""
import re


def lex(src):
    """Splits Swift source into spans (kind, start, end), kind in code/string/comment; the spans
    cover the text in order. String interpolations are code spans inside a string."""
    spans = []
    i, n, start = 0, len(src), 0

    def flush(kind, a, b):
        if b > a:
            spans.append((kind, a, b))

    while i < n:
        c = src[i]
        if src.startswith("//", i):
            flush("code", start, i)
            j = src.find("\n", i)
            j = n if j < 0 else j
            flush("comment", i, j)
            i = start = j
        elif src.startswith("/*", i):
            flush("code", start, i)
            depth, j = 1, i + 2
            while j < n and depth:
                if src.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif src.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            flush("comment", i, j)
            i = start = j
        elif c == '"' or (c == "#" and re.match(r'#+"', src[i:i + 12])):
            flush("code", start, i)
            i = start = string_literal(src, i, spans)
        else:
            i += 1
    flush("code", start, n)
    return spans


def string_literal(src, i, spans):
    """Appends the spans of the string literal at i; returns the index after it."""
    n = len(src)
    begin = i
    hashes = 0
    while src[i] == "#":
        hashes, i = hashes + 1, i + 1
    triple = src.startswith('"""', i)
    quote = '"""' if triple else '"'
    close = quote + "#" * hashes
    escape = "\\" + "#" * hashes
    i += len(quote)
    seg = begin
    while i < n:
        if src.startswith(close, i):
            i += len(close)
            spans.append(("string", seg, i))
            return i
        if src.startswith(escape + "(", i):
            i += len(escape) + 1
            spans.append(("string", seg, i))
            code_start, depth = i, 1
            while i < n and depth:
                if src[i] == "(":
                    depth += 1
                    i += 1
                elif src[i] == ")":
                    depth -= 1
                    i += 1
                elif src[i] == '"' or (src[i] == "#" and re.match(r'#+"', src[i:i + 12])):
                    if i > code_start:
                        spans.append(("code", code_start, i))
                    i = code_start = string_literal(src, i, spans)
                else:
                    i += 1
            if i - 1 > code_start:
                spans.append(("code", code_start, i - 1))
            seg = i - 1  # the closing parenthesis belongs to the string again
            continue
        if src.startswith(escape, i):
            i += len(escape) + 1
            continue
        if not triple and src[i] == "\n":
            break
        i += 1
    spans.append(("string", seg, i))
    return i


def masked(src, spans):
    """The source with string and comment text blanked (newlines kept), so positions stay."""
    chars = list(src)
    for kind, a, b in spans:
        if kind != "code":
            for k in range(a, b):
                if chars[k] != "\n":
                    chars[k] = " "
    return "".join(chars)
