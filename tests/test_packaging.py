"""What ships: the wheel carries the migrations, the Docker image is non-root and healthy."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_wheel_carries_every_migration(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    [wheel] = tmp_path.glob("imagine_bot-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for dialect in ("sqlite", "postgres"):
        shipped = {p.name for p in (ROOT / "migrations" / dialect).glob("*.sql")}
        assert shipped, dialect
        assert {f"migrations/{dialect}/{name}" for name in shipped} <= names
    assert "bot/entry/cli.py" in names and "adapters/discord/__init__.py" in names
    assert "bot/catalog.json" in names
    assert not any(name.startswith(("tests/", "bench/")) for name in names)


def test_the_dockerfile_runs_the_bot_as_a_non_root_user_with_a_health_check() -> None:
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()]
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    assert 'VOLUME ["/data"]' in lines
    assert any(line.startswith("HEALTHCHECK") for line in lines)
    assert any("/healthz" in line for line in lines)
    assert lines[-1] == 'CMD ["imagine-bot", "run"]'
    assert "IMAGINE_DATABASE_URL=sqlite:////data/imagine.db \\" in lines


def test_the_docker_context_leaves_out_secrets_and_local_state() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".env", ".git", ".venv", "*.db"} <= ignored
