#!/bin/sh
# check-structure.sh: the code layout rules of issue 14, checked over app/. Fails (exit 1)
# naming file:line for each of:
#   * SQL outside app/db/: a string literal starting with SELECT, INSERT, UPDATE or DELETE;
#   * an #include from a lower layer to a higher one. Layers, low to high:
#       core < common < net < connectors, db < web, worker, cli
#     connectors and db are side by side: neither includes the other. The three programs
#     may include each other's headers (the CLI runs worker jobs);
#   * a circle among app/ files: A.c uses a function of B.c, which (through others) uses
#     one of A.c (one header often declares what several .c files define);
#   * a C file over 900 lines;
#   * GET_LOCK, LOCK TABLES or a non-InnoDB engine in app/ or sql/ (not cluster-safe);
#   * with --columns (make test passes it): a bare numeric column index on a db result
#     outside app/db/ (dbrows_get(&r, i, 3), dbrows_int(&r, i, 3, 0)) in app/web,
#     app/worker, app/cli.
# tests/ and tools may include anything and are not checked.
# Usage: tests/check-structure.sh [--columns] [ROOT]   (ROOT: a tree, default this script's)
cd "$(dirname "$0")/.." || exit 2
exec /usr/bin/python3 - "$@" <<'EOF'
import os, re, sys

args = sys.argv[1:]
columns = "--columns" in args
args = [a for a in args if a != "--columns"]
root = args[0] if args else "."
os.chdir(root)
if not os.path.isdir("app"):
    sys.exit("check-structure: no app/ under %s (run it from the repository root or pass ROOT)" % root)

MAX_LINES = 900
RANK = {"core": 0, "common": 1, "net": 2, "connectors": 3, "db": 3, "web": 4, "worker": 4, "cli": 4}
problems = []

def strip_comments(text):
    """Comments become blanks (newlines kept, so line numbers hold); strings stay."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j])); i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i)); i = j
        elif c == '"' or c == "'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1]); i = j + 1
        else:
            out.append(c); i += 1
    return "".join(out)

def line_of(text, pos):
    return text.count("\n", 0, pos) + 1

files = sorted(os.path.join(d, f) for d, _, fs in os.walk("app") for f in fs if f.endswith((".c", ".h")))
src = {}
for path in files:
    with open(path, encoding="utf-8", errors="replace") as fh:
        src[path] = strip_comments(fh.read())

def layer(path):
    return path.split(os.sep)[1]

# 1. SQL outside app/db/.
sql = re.compile(r'"\s*(SELECT|INSERT|UPDATE|DELETE)\s+[^"]')
for path, text in src.items():
    if layer(path) == "db":
        continue
    for m in sql.finditer(text):
        problems.append("%s:%d: SQL outside app/db/: %s" % (path, line_of(text, m.start()), m.group(0)[:40]))

# 1b. Cluster-safe SQL (issue 17, doc/scale-out.md): no lock that holds on one Galera node
# only (GET_LOCK, LOCK TABLES) in app/ or sql/, and no table outside InnoDB (Galera
# replicates InnoDB only).
node_local = re.compile(r"\b(GET_LOCK|RELEASE_LOCK|LOCK\s+TABLES?)\b|ENGINE\s*=\s*(?!InnoDB\b)\w+", re.I)
sql_files = sorted(os.path.join("sql", f) for f in os.listdir("sql") if f.endswith(".sql")) if os.path.isdir("sql") else []
for path in list(src) + sql_files:
    text = src.get(path)
    if text is None:
        with open(path, encoding="utf-8", errors="replace") as fh:
            text = re.sub(r"--[^\n]*", "", fh.read())
    for m in node_local.finditer(text):
        problems.append("%s:%d: not cluster-safe: %s" % (path, line_of(text, m.start()), m.group(0)))

# 2. Includes in layer order.
inc = re.compile(r'^[ \t]*#[ \t]*include[ \t]*"([^"]+)"', re.M)
for path, text in src.items():
    for m in inc.finditer(text):
        target = m.group(1)
        cand = os.path.normpath(os.path.join("app", target) if "/" in target
                                else os.path.join(os.path.dirname(path), target))
        a, b = layer(path), layer(cand)
        if cand not in src or a not in RANK or b not in RANK or a == b:
            continue              # a system header, or one layer
        if RANK[b] > RANK[a] or (RANK[a] == RANK[b] and RANK[a] < 4):
            problems.append("%s:%d: %s/ includes %s (layer %s may not include %s)" % (
                path, line_of(text, m.start()), a, target, a, b))

# 3. Circles. A header often declares what several .c files define (web.h, mapping.h), so the
# circle is found where it is real: file A uses a function or variable defined in file B.
# A circle is a strongly connected set of .c files in that graph.
defn = re.compile(r"^(?!static\b)(?![#}\s/])[A-Za-z_][\w \t*]*?\b([A-Za-z_]\w*)\s*\(([^;{}]*?)\)\s*\{", re.M | re.S)
var = re.compile(r"^(?!static\b|extern\b|typedef\b)(?:const\s+)?(?:struct\s+)?\w+[\s*]+(\w+)(?:\[[^]]*\])?\s*=", re.M)
cfiles = [p for p in files if p.endswith(".c")]
code = {p: re.sub(r'"(?:\\.|[^"\\\n])*"', '""', src[p]) for p in cfiles}
defined = {}
for p in cfiles:
    for rx in (defn, var):
        for m in rx.finditer(code[p]):
            if m.group(1) != "main":
                defined.setdefault(m.group(1), set()).add(p)
ident = re.compile(r"(?<![.>\w])([A-Za-z_]\w*)\b")
uses = {}                         # file -> {file: (symbol, line)}
for p in cfiles:
    for m in ident.finditer(code[p]):
        for d in defined.get(m.group(1), ()):
            if d != p and d not in uses.setdefault(p, {}):
                uses[p][d] = (m.group(1), line_of(code[p], m.start()))
index, low, onstack, stack, sccs, counter = {}, {}, set(), [], [], [0]
def tarjan(v0):
    work = [(v0, iter(sorted(uses.get(v0, {}))))]
    index[v0] = low[v0] = counter[0]; counter[0] += 1; stack.append(v0); onstack.add(v0)
    while work:
        v, it = work[-1]
        for w in it:
            if w not in index:
                index[w] = low[w] = counter[0]; counter[0] += 1; stack.append(w); onstack.add(w)
                work.append((w, iter(sorted(uses.get(w, {})))))
                break
            if w in onstack:
                low[v] = min(low[v], index[w])
        else:
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop(); onstack.discard(w); comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    sccs.append(sorted(comp))
for v in cfiles:
    if v not in index:
        tarjan(v)
from collections import deque
for comp in sccs:
    members = set(comp)
    def shortest_cycle(start):
        prev, queue = {start: None}, deque([start])
        while queue:
            v = queue.popleft()
            for w in sorted(uses.get(v, {})):
                if w == start:
                    path = [v]
                    while prev[path[-1]] is not None:
                        path.append(prev[path[-1]])
                    return list(reversed(path))
                if w in members and w not in prev:
                    prev[w] = v; queue.append(w)
    cycle = min((shortest_cycle(v) for v in comp), key=len)
    hops = []
    for i, a in enumerate(cycle):
        b = cycle[(i + 1) % len(cycle)]
        sym, ln = uses[a][b]
        hops.append("%s:%d uses %s() of %s" % (a, ln, sym, os.path.basename(b)))
    problems.append("circle among %d files (%s), e.g.: %s" % (
        len(comp), ", ".join(os.path.basename(c) for c in comp), "; ".join(hops)))

# 4. File length.
for path in files:
    if path.endswith(".c"):
        with open(path, encoding="utf-8", errors="replace") as fh:
            n = sum(1 for _ in fh)
        if n > MAX_LINES:
            problems.append("%s:%d: %d lines (at most %d)" % (path, n, n, MAX_LINES))

# 5. --columns: dbrows_get/dbrows_int with a literal column number outside app/db/.
if columns:
    call = re.compile(r"\bdbrows_(get|int)\s*\(")
    for path, text in src.items():
        if layer(path) not in ("web", "worker", "cli"):
            continue
        for m in call.finditer(text):
            depth, i, argstart, argv = 1, m.end(), m.end(), []
            while i < len(text) and depth:
                ch = text[i]
                if ch in "([":
                    depth += 1
                elif ch in ")]":
                    depth -= 1
                if (ch == "," and depth == 1) or depth == 0:
                    argv.append(text[argstart:i].strip()); argstart = i + 1
                i += 1
            if len(argv) >= 3 and re.fullmatch(r"\d+", argv[2]):
                problems.append("%s:%d: column %s of a db result by number (use the db layer's "
                                "struct or its column enum)" % (path, line_of(text, m.start()), argv[2]))

for p in problems:
    print(p)
if problems:
    print("check-structure: %d problem(s)" % len(problems))
    sys.exit(1)
print("check-structure: ok (%d files; SQL, layers, circles, length%s)" % (len(files), ", columns" if columns else ""))
EOF
