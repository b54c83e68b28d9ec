"""`make run` collects static files with hashed names: every file a stylesheet or script points at
must exist, or collectstatic fails and capa does not start."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_collectstatic_with_manifest_storage_finds_every_referenced_file(tmp_path):
    env = {**os.environ, "STATIC_ROOT": str(tmp_path)}
    env.pop("DEBUG", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    manifest = (tmp_path / "staticfiles.json").read_text()
    assert "vendor/nhsuk-frontend/nhsuk-frontend.min.css" in manifest
    assert "vendor/htmx/htmx.min.js" in manifest
