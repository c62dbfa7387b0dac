"""deploy/ cannot be run here (no Docker engine), so it is rendered and checked: the
compose file parses, every rectrack process runs a command the CLI really has, every
setting it passes is one rectrack reads, and the image copies folders that exist."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.adapters.settings import Settings
from services.cli import build_parser

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
ENV = {"RECTRACK_DB_PASSWORD": "p", "TEMPORAL_DB_PASSWORD": "q"}


def _render(text: str, env: dict[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?error} interpolation."""

    def substitute(match: re.Match[str]) -> str:
        name, op, arg = match.group(1), match.group(2), match.group(3) or ""
        if name in env and env[name] != "":
            return env[name]
        if op == ":?":
            raise KeyError(f"{name}: {arg}")
        return arg if op == ":-" else ""

    return re.sub(r"\$\{(\w+)(:\?|:-)?([^}]*)\}", substitute, text)


def _compose(env: dict[str, str]) -> dict[str, Any]:
    rendered: dict[str, Any] = yaml.safe_load(
        _render((DEPLOY / "docker-compose.yml").read_text(), env)
    )
    return rendered


def test_compose_refuses_to_render_without_secrets() -> None:
    with pytest.raises(KeyError, match="RECTRACK_DB_PASSWORD"):
        _compose({"TEMPORAL_DB_PASSWORD": "q"})


def test_every_rectrack_process_runs_a_real_command_with_known_settings() -> None:
    services = _compose(ENV)["services"]
    rectrack = {
        name: s for name, s in services.items() if s.get("image", "").startswith("rectrack")
    }
    assert set(rectrack) == {"api", "worker", "relay", "projector"}
    parser = build_parser()
    known = {f"RECTRACK_{name.upper()}" for name in Settings.model_fields}
    for name, service in rectrack.items():
        command = service["command"]
        assert command[0] == "rectrack", name
        args = parser.parse_args(command[1:])
        assert callable(args.handler), name
        unknown = set(service["environment"]) - known
        assert not unknown, f"{name} passes settings rectrack does not read: {unknown}"
        assert set(service["depends_on"]) == {"postgres", "temporal"}
    url = rectrack["api"]["environment"]["RECTRACK_DATABASE_URL"]
    assert url == "postgresql://rectrack:p@postgres:5432/rectrack"
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD"] == "p"


def test_image_copies_every_package_and_runs_unprivileged() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    copied = re.findall(r"^COPY (\S+)", dockerfile, flags=re.MULTILINE)
    root = DEPLOY.parent
    for package in ("domain", "workflows", "projections", "services"):
        assert package in copied
    for source in copied:
        assert (root / source).exists(), source
    assert re.search(r"^USER (?!root)\w+", dockerfile, flags=re.MULTILINE)


def test_the_image_installs_the_locked_dependencies_with_their_hashes() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert "COPY requirements.lock" in dockerfile
    assert "--require-hashes -r requirements.lock" in dockerfile
    assert re.search(r"pip install [^\n]*--no-deps \.", dockerfile)
