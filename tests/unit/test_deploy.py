"""What can be checked of the compose deployment without a Docker engine."""

import yaml
from typer.main import get_command

from newsflow.cli import app
from newsflow.settings import Settings
from tests.conftest import REPO

COMPOSE = yaml.safe_load((REPO / "deploy" / "compose.yaml").read_text())


def newsflow_services():
    return {name: svc for name, svc in COMPOSE["services"].items() if svc.get("image", "").startswith("newsflow")}


def test_every_compose_command_exists_in_the_cli():
    cli = get_command(app)
    for name, svc in newsflow_services().items():
        command = svc["command"]
        assert command[0] in cli.commands, name
        if command[0] == "worker":
            assert command[1] in ("ingest", "enrich", "index")


def test_every_environment_variable_is_a_setting():
    fields = {f"NEWSFLOW_{name.upper()}" for name in Settings.model_fields}
    for name, svc in newsflow_services().items():
        for var in svc.get("environment", {}):
            assert var in fields, f"{name}: {var} is not a newsflow setting"


def test_workers_restart_and_stop_gracefully():
    for name, svc in newsflow_services().items():
        assert svc["restart"] == "unless-stopped", name
        assert int(svc["stop_grace_period"].rstrip("s")) > Settings.model_fields["graceful_timeout"].default, name
        assert svc["depends_on"]["redis"]["condition"] == "service_healthy"
    assert "--appendonly" in COMPOSE["services"]["redis"]["command"]
    assert COMPOSE["services"]["postgres"]["healthcheck"]["test"]
    for name, svc in newsflow_services().items():
        assert svc["environment"]["NEWSFLOW_STORE_URL"].startswith("postgresql://"), name
        assert svc["depends_on"]["postgres"]["condition"] == "service_healthy", name


def test_readme_documents_every_setting():
    readme = (REPO / "README.md").read_text()
    missing = [f"NEWSFLOW_{n.upper()}" for n in Settings.model_fields if f"`NEWSFLOW_{n.upper()}`" not in readme]
    assert not missing, missing
