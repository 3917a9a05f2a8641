"""The import rules between the kernel, the services and their rooms hold, and each would catch
the import that breaks it (import-linter, with the contracts in pyproject.toml)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.system import ROOT

PACKAGES = ("shared", "services", "deploy", "bench")


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )


def _copy(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package,
            tree / package,
            ignore=shutil.ignore_patterns("__pycache__", "static", "templates", "results"),
        )
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    return tree


def test_the_tree_keeps_every_contract(tmp_path: Path) -> None:
    result = _lint(_copy(tmp_path))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("shared/topics.py", "import services.requests.settings", "The kernel knows no service"),
        (
            "services/matching/app/commands.py",
            "import services.requests.domain.model",
            "No service imports another",
        ),
        ("services/requests/domain/model.py", "import sqlalchemy", "Domains do no I/O"),
        (
            "services/requests/domain/policy.py",
            "import services.requests.adapters.repository",
            "Every service has the same rooms",
        ),
        (
            "services/requests/domain/model.py",
            "from services.requests.domain import policy",
            "No import cycles",
        ),
    ],
    ids=["kernel-imports-service", "service-imports-service", "domain-io", "layers", "cycle"],
)
def test_a_forbidden_import_breaks_its_contract(
    tmp_path: Path, module: str, line: str, contract: str
) -> None:
    tree = _copy(tmp_path)
    path = tree / module
    path.write_text(path.read_text() + f"\n{line}  # noqa\n")

    result = _lint(tree)

    assert result.returncode != 0
    broken = [row for row in result.stdout.splitlines() if row.endswith("BROKEN")]
    assert any(row.startswith(contract) for row in broken), result.stdout
