"""Every package the portal imports is declared in pyproject.toml and pinned in constraints.txt."""
import ast
import importlib.metadata as metadata
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _imported_top_level_modules() -> set[str]:
    modules = set()
    for path in (ROOT / "portal").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    return modules - set(sys.stdlib_module_names) - {"portal"}


def test_every_imported_package_is_declared_and_pinned():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = {_name(d) for d in project["dependencies"]}
    pinned = {_name(line) for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines()
              if line and not line.startswith("#")}
    distributions = metadata.packages_distributions()
    undeclared = {}
    for module in sorted(_imported_top_level_modules()):
        names = {_name(d) for d in distributions.get(module, [module])}
        if not names & declared or not names & pinned:
            undeclared[module] = sorted(names)
    assert not undeclared, f"imported but not declared in pyproject.toml or pinned in constraints.txt: {undeclared}"
