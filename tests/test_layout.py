"""The layout as the data flow: stage packages that import only themselves and the shared modules.

Read with `ast`, so a lazy import inside a function counts as much as one at the top of a module.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "tradewatch"
STAGES = ("ingest", "understand", "deliver")
SHARED = {"tradewatch", "tradewatch.models", "tradewatch.settings", "tradewatch.errors",
          "tradewatch.services", "tradewatch.urls", "tradewatch.docnumbers"}
MAX_TOP_MODULES = 10
MAX_LINES = 450


def imports_of(path: Path) -> set[str]:
    """Every module the file imports from this project (tradewatch, handlers, storage, bot)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names
                         if (ROOT / Path(*node.module.split("."), alias.name)).is_dir()
                         or (ROOT / Path(*node.module.split("."), f"{alias.name}.py")).is_file())
    return {name for name in found if name.split(".")[0] in ("tradewatch", "handlers", "storage", "bot")}


def modules_under(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.py"))


def allowed(name: str, own: str | None) -> bool:
    return name in SHARED or (own is not None and (name == own or name.startswith(own + ".")))


@pytest.mark.parametrize("stage", STAGES)
def test_a_stage_imports_only_itself_and_the_shared_modules(stage):
    own = f"tradewatch.{stage}"
    wrong = {f"{path.relative_to(ROOT)}: {name}" for path in modules_under(PACKAGE / stage)
             for name in imports_of(path) if not allowed(name, own)}
    assert not wrong, sorted(wrong)


def test_shared_modules_import_no_stage():
    wrong = {f"{path.name}: {name}" for path in PACKAGE.glob("*.py") if f"tradewatch.{path.stem}" in SHARED
             for name in imports_of(path) if name.startswith("tradewatch.") and name not in SHARED}
    assert not wrong, sorted(wrong)


def test_handlers_read_through_storage_and_render_only():
    reads = SHARED | {"tradewatch.deliver.render"}
    wrong = {f"{path.name}: {name}" for path in modules_under(ROOT / "handlers")
             for name in imports_of(path) if name.startswith("tradewatch") and name not in reads}
    assert not wrong, sorted(wrong)


def test_storage_knows_only_the_models_and_errors():
    wrong = {f"{path.name}: {name}" for path in modules_under(ROOT / "storage")
             for name in imports_of(path)
             if name.startswith("tradewatch") and name not in ("tradewatch.models", "tradewatch.errors")}
    assert not wrong, sorted(wrong)


def test_the_package_holds_the_stages_and_few_top_level_modules():
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    top = [p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py"]
    assert packages == set(STAGES)
    assert len(top) <= MAX_TOP_MODULES, top


def test_no_module_is_too_long():
    long = {str(p.relative_to(ROOT)): n for folder in ("tradewatch", "handlers", "storage")
            for p in modules_under(ROOT / folder) if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long


def test_every_stage_says_what_it_takes_and_gives():
    for stage in STAGES:
        doc = ast.get_docstring(ast.parse((PACKAGE / stage / "__init__.py").read_text(encoding="utf-8")))
        assert doc and "Takes in" in doc and "Gives out" in doc, stage


def test_imports_are_read_lazily_too(tmp_path):
    module = tmp_path / "lazy.py"
    module.write_text("def f():\n    from tradewatch.ingest import parsers\n    import tradewatch.deliver.render\n")
    assert imports_of(module) == {"tradewatch.ingest", "tradewatch.ingest.parsers", "tradewatch.deliver.render"}
