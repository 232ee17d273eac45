"""``zymo.core`` imports nothing above it, and each of its modules only its own layer or lower ones."""

import ast
import pathlib

CORE = pathlib.Path(__file__).parents[2] / "zymo" / "core"

# The layers of ``zymo/core/__init__.py``'s docstring, lowest first.
LAYERS = [
    {"errors", "pytree", "library_calls", "collector", "jit_externals"},
    {"tracer", "namespace"},
    {"recording", "memory"},
    {"trace"},
    {"primitive", "dispatch"},
    {"reverse", "forward"},
    {"mutation", "flat", "tracer_methods"},
    {"differentiation"},
    {"api"},
    {"custom"},
    {"jit_reorder", "jit_codegen", "jit_foreign", "jit"},
]
LAYER_OF = {name: k for k, names in enumerate(LAYERS) for name in names}


def _zymo_imports(path: pathlib.Path) -> list[str]:
    """Absolute names of the zymo modules ``path`` imports (function-level imports included)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] == "zymo"]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                if (node.module or "").split(".")[0] == "zymo":
                    found.append(node.module)
                continue
            base = ["zymo", "core"][: 3 - node.level] if node.level <= 2 else []
            if node.level > 2:
                found.append("zymo.<above the package>")
            elif node.module:
                found.append(".".join(base + node.module.split(".")))
            else:
                found += [".".join(base + [a.name]) for a in node.names]
    return found


def _core_modules():
    return sorted(p for p in CORE.glob("*.py") if p.name != "__init__.py")


def test_every_core_module_has_a_layer():
    assert sorted(p.stem for p in _core_modules()) == sorted(LAYER_OF)


def test_core_imports_nothing_above_it():
    above = {p.name: [m for m in _zymo_imports(p) if not m.startswith("zymo.core")] for p in _core_modules()}
    assert {k: v for k, v in above.items() if v} == {}


def test_core_modules_import_only_their_layer_or_lower_ones():
    upward = {}
    for path in _core_modules():
        mine = LAYER_OF[path.stem]
        for m in _zymo_imports(path):
            name = m.split(".")[2] if m.count(".") >= 2 else None
            if name in LAYER_OF and LAYER_OF[name] > mine:
                upward.setdefault(path.stem, []).append(name)
    assert upward == {}
