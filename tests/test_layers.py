"""The layer contract (import-linter, configured in pyproject.toml) and package faces, in the suite.

Layers: each part imports only what lies below it (``tasks``/``cli`` > jobs, webhooks > review, branding >
state > matching, flowtly, sample > records, config > errors), and the domain never imports the API client.
Faces: one package imports another only through its ``__init__`` (``from enricher.state import X``), never
from an inner module (``from enricher.state.locks import X``), so a package can rearrange its inside freely.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent

FACES = {"enricher.flowtly.sandbox"}
"""Inner packages that are faces of their own (their ``__init__`` has an ``__all__``)."""

KNOWN: set[tuple[str, str]] = {
    # The Flowtly-AI branding provider and the client notes read the API's contract module (also an
    # exception in the forbidden contract, pyproject.toml): to move behind the adapter.
    ("enricher.branding.enrich", "enricher.flowtly.contract"),
    ("enricher.branding.flowtly_ai", "enricher.flowtly.contract"),
    ("enricher.review.clients", "enricher.flowtly.contract"),
}


def _part(module: str, root: str) -> str:
    """The package a module belongs to: ``enricher.state.locks`` -> ``enricher.state``."""
    parts = module.split(".")
    return parts[0] if parts[0] != root else ".".join(parts[:2])


def inner_imports(graph: grimp.ImportGraph, root: str = "enricher") -> set[tuple[str, str]]:
    """(importer, imported) pairs where one package reaches into another's inner module."""
    found = set()
    for importer in graph.modules:
        for imported in graph.find_modules_directly_imported_by(importer):
            face = _part(imported, root)
            if not imported.startswith(root) or _part(importer, root) == face or imported == face:
                continue
            if imported in FACES and importer.startswith(root):
                continue
            lines = [
                d["line_contents"] for d in graph.get_import_details(importer=importer, imported=imported)
            ]
            # ``from enricher.flowtly import connect`` names a function that shares a module's name.
            if all(line.startswith((f"from {face} import", f"import {face}\n")) for line in lines):
                continue
            found.add((importer, imported))
    return found


def test_the_layer_contract_holds() -> None:
    lint = Path(sys.executable).parent / "lint-imports"
    proc = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "Contracts: 2 kept, 0 broken." in proc.stdout


def test_packages_import_each_other_through_their_faces(monkeypatch: pytest.MonkeyPatch) -> None:
    # The project's ``tasks``, not ``tests/tasks`` (a namespace package when ``tests/`` leads sys.path,
    # as it does under ``.venv/bin/pytest``, which puts no working directory on it).
    monkeypatch.syspath_prepend(str(ROOT))
    graph = grimp.build_graph("enricher", "tasks")
    assert inner_imports(graph) - KNOWN == set()


def test_the_face_check_sees_an_import_into_an_inner_module(tmp_path: Path) -> None:
    # A throwaway package tree: one import through a face, one into an inner module.
    base = tmp_path / "facecheck"
    for folder, files in {
        base: {"__init__.py": ""},
        base / "alpha": {
            "__init__.py": "from facecheck.alpha.inner import thing\n",
            "inner.py": "thing = 1\n",
        },
        base / "beta": {
            "__init__.py": "",
            "good.py": "from facecheck.alpha import thing\n",
            "bad.py": "from facecheck.alpha.inner import thing\n",
        },
    }.items():
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (folder / name).write_text(textwrap.dedent(text))
    code = (
        "import grimp, json, sys; sys.path.insert(0, sys.argv[1]); sys.path.insert(0, sys.argv[2]);"
        "from test_layers import inner_imports;"
        "g = grimp.build_graph('facecheck', cache_dir=None);"
        "print(json.dumps(sorted(inner_imports(g, root='facecheck'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path), str(Path(__file__).parent)],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    ).stdout
    assert out.strip() == '[["facecheck.beta.bad", "facecheck.alpha.inner"]]'
