#!/usr/bin/env python3
"""Gives every site that creates a finding a stable code, and writes the table of codes.

Run from the repository root: python3 tools/finding_codes.py [--assign] [--table]
--assign appends `code: "MBRnnnn"` (or `Code = "MBRnnnn",` in an initializer) to each site
that has none, numbering after the highest code in the site's area. --table rewrites the
table in docs/policy-language.md section 5.8 from the sites. Codes once given never change.
"""
import os, re, sys

AREAS = [  # (area digit, path predicate)
    (1, lambda p: p.startswith(("src/Membrane.Policy/Source/", "src/Membrane.Policy/Reading/", "src/Membrane.Policy/Inputs/")) or p.endswith(("PolicyValidationService.cs", "Output/ValidationTextWriter.cs"))),
    (3, lambda p: p.endswith("PolicyValidator.NetworkPolicy.cs")),
    (2, lambda p: "/PolicyValidator." in p),
    (4, lambda p: p.endswith("IcmpFieldResolver.cs") or re.search(r"/Values/\w+Resolver\.cs$", p)),
    (5, lambda p: p.endswith("PolicyLinter.cs")),
    (6, lambda p: "/Schema/" in p),
    (7, lambda p: p.endswith("Identities/IdentityFile.cs")),
]
HELPERS = {"src/Membrane.Policy/Reading/DiagnosticBag.cs", "src/Membrane.Policy/Diagnostics/Findings.cs"}
CALL = re.compile(r"(?<![\w.])((?:\w+\.)*)(Error|Warning|Note|Syntax|Add)\(")
INIT = re.compile(r"new FieldError\s*\{")
CODE = re.compile(r'(?:code:|Code =)\s*"(MBR\d{4})"')


# What a code means, where the message is built away from the site and the table cannot read it.
WHAT = {
    "MBR1011": "skipped: a symbolic link loop, a broken link, or a link that cannot be followed",
    "MBR1012": "an input path does not exist or cannot be read",
    "MBR1014": "a file named by a setting does not exist or cannot be read",
    "MBR1021": "input is larger than the size limit",
    "MBR1045": "skipped KIND \"NAME\": not a network policy",
    "MBR1050": "JSON syntax error (the reader's message)",
    "MBR1056": "YAML syntax error (the reader's message)",
    "MBR2011": "an empty peer list (…: []) applies to every peer, or selects none",
    "MBR2056": "an unknown selector operator (or one in the wrong case)",
    "MBR4009": "not an ICMP code name, or the code of another type",
    "MBR4010": "not a CIDR (prefix or address)",
    "MBR5005": "a code for an ICMP type that defines no codes, or not this one: it never matches",
    "MBR6001": "a Membrane extension that Cilium does not have (--compat cilium only)",
    "MBR7007": "a labels string is empty or not source:key=value labels",
    "MBR7009": "the labels do not make a valid label set",
    "MBR7011": "not a source:key=value label",
    "MBR7014": "an identity number outside the endpoint range",
}


def area_of(path):
    for digit, test in AREAS:
        if test(path):
            return digit
    return None


def skip_string(s, i):
    """s[i] starts a string or char literal; returns the index after it."""
    interp = verbatim = False
    while s[i] in "$@":
        interp |= s[i] == "$"
        verbatim |= s[i] == "@"
        i += 1
    if s[i] == "'":
        i += 1
        while s[i] != "'":
            i += 2 if s[i] == "\\" else 1
        return i + 1
    assert s[i] == '"'
    i += 1
    while True:
        c = s[i]
        if c == "\\" and not verbatim:
            i += 2
        elif c == '"':
            if verbatim and s[i + 1] == '"':
                i += 2
            else:
                return i + 1
        elif interp and c == "{":
            if s[i + 1] == "{":
                i += 2
            else:
                i = skip_code(s, i + 1, "}") + 1
        else:
            i += 1


def skip_code(s, i, closer):
    """Scans code from i to the matching closer; returns its index."""
    pairs = {"(": ")", "{": "}", "[": "]"}
    stack = [closer]
    while True:
        c = s[i]
        if c == '"' or (c in "$@" and s[i + 1] in '"$@') or c == "'":
            i = skip_string(s, i)
            continue
        if c == "/" and s[i + 1] == "/":
            i = s.index("\n", i)
            continue
        if c in pairs:
            stack.append(pairs[c])
        elif c in ")}]":
            if c != stack[-1]:
                raise ValueError(f"unbalanced at {i}")
            stack.pop()
            if not stack:
                return i
        i += 1


def split_args(text):
    args, depth, start, i = [], 0, 0, 0
    while i < len(text):
        c = text[i]
        if c == '"' or (c in "$@" and i + 1 < len(text) and text[i + 1] in '"$@') or c == "'":
            i = skip_string(text + "\0", i)
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c == "," and depth == 0:
            args.append(text[start:i].strip())
            start = i + 1
        i += 1
    args.append(text[start:].strip())
    return args


def sites(path, s):
    """Yields (start, insert_at, is_init, info) for each finding site in the file."""
    found = []
    for m in CALL.finditer(s):
        receiver, name = m.group(1), m.group(2)
        line_start = s.rfind("\n", 0, m.start()) + 1
        before = s[line_start:m.start()]
        if re.search(r"\b(void|FieldError|static)\s+$", before) or before.lstrip().startswith("//"):
            continue
        if name == "Add" and not (receiver == "run." and path.endswith("InputCollector.cs")):
            continue
        if name == "Syntax" and not receiver.endswith(("findings.", "Findings.")):
            continue
        if receiver and receiver != "run." and not receiver.lower().endswith(("findings.", "diagnostics.")):
            continue
        close = skip_code(s, m.end(), ")")
        args = split_args(s[m.end():close])
        if any(a.startswith("code:") for a in args) and not CODE.search(s[m.end():close]) and "code: code" in s[m.end():close]:
            continue  # a helper passing its code on
        if args == [""] or args[-1] in ("code", "hint, code"):
            continue
        if name == "Add":
            info = dict(severity=args[1].split(".")[-1], kind=args[2].split(".")[-1], detail=args[3])
        elif receiver == "run.":
            info = dict(severity=name, kind="Invalid" if name == "Error" else "Skipped", detail=args[1])
        elif name == "Syntax":
            info = dict(severity="Error", kind="Syntax", detail=args[1])
        else:
            info = dict(severity=name, kind=args[0], detail=args[3] if len(args) > 3 else "")
        if path.endswith("PolicyValidator.cs") and receiver == "_findings.":
            pass
        found.append((m.start(), close, False, info, s[m.end():close]))
    for m in INIT.finditer(s):
        close = skip_code(s, m.end(), "}")
        body = s[m.end():close]
        if "Code = code" in body:
            continue
        props = {}
        for a in split_args(body):
            if "=" in a:
                k, v = a.split("=", 1)
                props[k.strip()] = v.strip()
        info = dict(severity=props.get("Severity", ""), kind=props.get("Kind", ""), detail=props.get("Detail", ""))
        found.append((m.start(), m.end(), True, info, body))
    return sorted(found)


def describe_kind(expr):
    kinds = re.findall(r"FieldErrorKind\.(\w+)", expr)
    return " or ".join(dict.fromkeys(kinds)) if kinds else expr.split(".")[-1]


def describe_severity(expr):
    sev = re.findall(r"Severity\.(\w+)", expr) or [expr]
    if len(sev) == 2:
        return f"{sev[1].lower()} ({sev[0].lower()} with --compat cilium)"
    return sev[0].lower()


def literals(expr):
    """The string literals at the top of an expression, each with its holes written as '…'."""
    out, i = [], 0
    while i < len(expr):
        c = expr[i]
        if c == '"' or (c in "$@" and i + 1 < len(expr) and expr[i + 1] in '"$@'):
            end = skip_string(expr + "\0", i)
            lit = expr[i:end]
            j = lit.index('"') + 1
            interp = "$" in lit[:j]
            text = ""
            while j < len(lit) - 1:
                if interp and lit[j] == "{" and lit[j + 1] != "{":
                    j = skip_code(lit, j + 1, "}") + 1
                    text += "…"
                elif lit[j] == "\\":
                    text += lit[j + 1]
                    j += 2
                else:
                    text += lit[j]
                    j += 1
            out.append(text)
            i = end
        else:
            i += 1
    return out


def summarise(expr):
    lits = literals(expr)
    if not lits:
        return f"(the message from `{expr}`)"
    text = max(lits, key=len) if "?" in expr and ":" in expr and not expr.startswith(("$", '"')) else lits[0]
    if len(text) > 90:
        text = text[:90].rsplit(" ", 1)[0] + " …"
    return text.replace("|", "\\|")


def walk():
    for root, _, files in os.walk("src"):
        for f in sorted(files):
            p = os.path.join(root, f)
            if f.endswith(".cs") and p not in HELPERS and area_of(p) is not None:
                yield p


def main():
    assign, table = "--assign" in sys.argv, "--table" in sys.argv
    used = {}
    for p in walk():
        for c in CODE.findall(open(p).read()):
            used.setdefault(int(c[3]), set()).add(int(c[3:]))
    rows = []
    for p in sorted(walk(), key=lambda p: (area_of(p), p)):
        s = open(p).read()
        edits = []
        for start, at, is_init, info, body in sites(p, s):
            existing = CODE.search(body)
            if existing:
                code = existing.group(1)
            else:
                a = area_of(p)
                n = max(used.get(a, {a * 1000}) | {a * 1000}) + 1
                used.setdefault(a, set()).add(n)
                code = f"MBR{n}"
                if is_init:
                    nl = s.rfind("\n", 0, at)
                    first = re.match(r"\s*", s[at:]).group(0)
                    edits.append((at, (first if "\n" in first else " ") + f'Code = "{code}",'))
                else:
                    edits.append((at, f', code: "{code}"'))
            line = s.count("\n", 0, start) + 1
            rows.append((code, describe_severity(info["severity"]), describe_kind(info["kind"]), WHAT.get(code) or summarise(info["detail"]), f"{p}:{line}"))
        if assign and edits:
            for at, text in sorted(edits, reverse=True):
                s = s[:at] + text + s[at:]
            open(p, "w").write(s)
    rows.sort()
    out = ["| code | severity | kind | what it means |", "|---|---|---|---|"]
    out += [f"| {c} | {sev} | {k} | {what} |" for c, sev, k, what, _ in rows]
    if table:
        doc = "docs/policy-language.md"
        d = open(doc).read()
        start = d.index("### 5.8 Finding codes")
        t0 = d.index("| code | severity |", start)
        t1 = d.index("\n\n", t0)
        d = d[:t0] + "\n".join(out) + d[t1:]
        open(doc, "w").write(d)
    else:
        for r in rows:
            print(" | ".join(r))


if __name__ == "__main__":
    main()
