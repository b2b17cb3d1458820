"""The project's structure: which module imports which, with no circles, counting imports inside functions."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {"autograd": "tracegrad", "nn": "tracegrad.nn", "viz": "tracegrad.viz"}

# The engine's one lazy import: Value.backward() reaches the graph walks in tracegrad.backprop,
# which is built on Value (documented in autograd/engine.py).
ALLOWED = [{"tracegrad.engine", "tracegrad.backprop"}]


def modules():
    """Module name -> file, for every module of the three packages."""
    found = {}
    for folder, package in PACKAGES.items():
        for path in (ROOT / folder).rglob("*.py"):
            parts = [part for part in path.relative_to(ROOT / folder).with_suffix("").parts if part != "__init__"]
            found[".".join([package] + parts)] = path
    return found


def imports(found):
    """Module name -> the set of project modules it imports anywhere in its text (a package counts)."""
    graph = {}
    for name, path in found.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                candidates = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = package.split(".")[:len(package.split(".")) - node.level + 1]
                    base = ".".join(parent + ([node.module] if node.module else []))
                candidates = [f"{base}.{alias.name}" for alias in node.names] + [base]
            else:
                continue
            for candidate in candidates:
                while candidate and candidate not in found:
                    candidate = candidate.rpartition(".")[0]
                # a package's own modules importing the package's __init__ is how relative imports read
                if candidate and candidate != name and not name.startswith(candidate + "."):
                    targets.add(candidate)
        graph[name] = targets
    return graph


def circles(graph):
    """The strongly connected groups of more than one module (Tarjan's algorithm, iterative)."""
    index, low, on_stack, stack, groups, counter = {}, {}, set(), [], [], [0]
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.add(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(group)
    return groups


def test_the_finder_sees_a_circle_made_by_a_lazy_import():
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]
    graph = imports(modules())
    assert "tracegrad.backprop" in graph["tracegrad.engine"]  # imported inside Value.backward only


def test_no_module_imports_one_that_imports_it_back():
    found = circles(imports(modules()))
    assert sorted(map(sorted, found)) == sorted(map(sorted, ALLOWED))


def test_the_engine_imports_nothing_of_nn_or_viz_and_nn_nothing_of_viz():
    graph = imports(modules())
    for name, targets in graph.items():
        if name.startswith("tracegrad.nn"):
            assert not any(t.startswith("tracegrad.viz") for t in targets), name
        elif not name.startswith("tracegrad.viz"):
            assert not any(t.startswith(("tracegrad.nn", "tracegrad.viz")) for t in targets), name


def test_no_test_module_imports_another():
    # Shared fixtures live in conftest.py and plain helpers in small modules beside the tests
    # (page_helpers, examples_by_hand): a test module imported by another would run its own
    # tests' module-level code there and tie the two files together.
    tests = ROOT / "tests"
    test_modules = {path.stem for path in tests.glob("test_*.py")}
    found = []
    for path in tests.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            else:
                continue
            found += [f"{path.relative_to(ROOT)} imports {name}" for name in names
                      if name.split(".")[-1] in test_modules or name.split(".")[0] in test_modules]
    assert found == []


def test_one_name_per_limit_and_one_limit_per_name():
    # A constant written in capitals is a limit or a setting; one defined in two modules is
    # either one limit under two names or two limits under one (DEFAULT_MAX_NODES was 500 in
    # the drawing and 10,000 in the trace): each lives in one module, the others import it.
    defined = {}
    for name, path in modules().items():
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                    and node.targets[0].id.lstrip("_").isupper() and isinstance(node.value, ast.Constant)
                    and isinstance(node.value.value, (int, float)) and not isinstance(node.value.value, bool)):
                defined.setdefault(node.targets[0].id, []).append(name)
    assert {constant: where for constant, where in defined.items() if len(where) > 1} == {}


def test_every_page_has_the_one_head_of_pages_page_html():
    # The skeleton (doctype, charset, viewport, title, styles, scripts) is written once; each page
    # file holds its own body only, and build_page puts it in the skeleton.
    pages = ROOT / "viz" / "pages"
    skeleton = re.compile(r"<(!doctype|html|head|body)[\s>]", re.I)  # not <header>
    heads = sorted(path.name for path in pages.glob("*.html") if skeleton.search(path.read_text(encoding="utf-8")))
    assert heads == ["page.html"]
