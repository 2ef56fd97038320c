"""Figures about the shape of the code in app/: what a reviewer would count by hand.

    python -m bench.house

Prints the longest modules, the modules outside repositories and search
backends that build SQL, the broken import contracts (import-linter, the
contracts in pyproject.toml) and the blocks pylint finds repeated.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

APP = Path(__file__).resolve().parents[1] / "app"
BIN = Path(sys.executable).parent
# SQLAlchemy names that make a statement; importing one means building SQL.
SQL_BUILDERS = {
    "select",
    "insert",
    "update",
    "delete",
    "text",
    "func",
    "and_",
    "or_",
    "case",
    "exists",
    "literal",
    "literal_column",
    "union_all",
    "tuple_",
    "bindparam",
}


def _is_sql_home(path: Path) -> bool:
    """Repositories (a module or a package named so) and search backends are where SQL belongs."""
    parts = path.relative_to(APP).with_suffix("").parts
    return "repository" in parts or parts[:2] == ("search", "backends")


def builds_sql(path: Path) -> bool:
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.ImportFrom)
            and (node.module or "").startswith("sqlalchemy")
            and any(alias.name in SQL_BUILDERS for alias in node.names)
        ):
            return True
    return False


def main() -> None:
    modules = sorted(APP.rglob("*.py"))
    lengths = sorted(((len(p.read_text().splitlines()), p) for p in modules), reverse=True)
    print("longest modules:")
    for lines, path in lengths[:5]:
        print(f"  {lines:5d}  {path.relative_to(APP.parent)}")
    print(f"modules over 400 lines: {sum(1 for lines, _ in lengths if lines > 400)}")

    outside = [p for p in modules if not _is_sql_home(p) and builds_sql(p)]
    print(f"modules outside repositories and search backends that build SQL: {len(outside)}")
    for path in outside:
        print(f"  {path.relative_to(APP.parent)}")

    contracts = subprocess.run([BIN / "lint-imports"], capture_output=True, text=True).stdout
    broken = re.findall(r"^(.+) BROKEN$", contracts, flags=re.MULTILINE)
    imports = re.findall(r"^-\s+\S+ -> \S+", contracts, flags=re.MULTILINE)
    print(f"import contracts broken: {len(broken)} ({len(imports)} imports)")
    for name in broken:
        print(f"  {name}")

    pylint = subprocess.run(
        [
            BIN / "pylint",
            APP,
            "--disable=all",
            "--enable=duplicate-code",
            "--min-similarity-lines=6",
        ],
        capture_output=True,
        text=True,
    ).stdout
    print(f"repeated blocks (pylint duplicate-code, 6+ lines): {pylint.count('R0801')}")


if __name__ == "__main__":
    main()
