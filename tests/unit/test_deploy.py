"""What can be checked of the compose deployment without a Docker engine: the files parse, every command
exists, every variable is a setting, the monitoring profile scrapes what the services serve, the image is
built with the commands `./dev` and CI run, and no secret is baked in."""

import json
import re
import tomllib

import yaml
from prometheus_client import REGISTRY
from typer.main import get_command

import newsflow.metrics  # noqa: F401 - registers every newsflow metric
from newsflow.cli.app import app
from newsflow.pipeline import PIPELINE, PRODUCERS
from newsflow.settings import Settings
from tests.conftest import REPO

DEPLOY = REPO / "deploy"
COMPOSE_TEXT = (DEPLOY / "compose.yaml").read_text()
COMPOSE = yaml.safe_load(COMPOSE_TEXT)
SERVICES = COMPOSE["services"]
DOCKERFILE = (DEPLOY / "Dockerfile").read_text()
SETTINGS = {f"NEWSFLOW_{name.upper()}" for name in Settings.model_fields}
# Every declared stage runs as a compose service, and so does discover, which feeds the first.
WORKERS = (*(spec.name for spec in PIPELINE), *(p.name for p in PRODUCERS))


def upstream(image: str) -> str:
    """The image a user pulls: the default of `${NAME_IMAGE:-default}`, or the name itself."""
    found = re.fullmatch(r"\$\{[A-Z]+_IMAGE:-([^}]+)\}", image)
    return found.group(1) if found else image


def newsflow_services():
    return {name: svc for name, svc in SERVICES.items() if svc.get("image", "").startswith("newsflow")}


def long_running():
    return {name: svc for name, svc in newsflow_services().items() if name != "bootstrap"}


def test_every_compose_command_exists_in_the_cli():
    cli = get_command(app)
    assert set(newsflow_services()) == {"bootstrap", *WORKERS, "api"}
    for name, svc in newsflow_services().items():
        command = svc["command"]
        assert command[0] in cli.commands, name
        if command[0] == "worker":
            assert command[1] == name


def test_every_environment_variable_is_a_setting():
    for name, svc in newsflow_services().items():
        for var in svc.get("environment", {}):
            assert var in SETTINGS, f"{name}: {var} is not a newsflow setting"


def test_services_restart_stop_gracefully_and_wait_for_what_they_need():
    for name, svc in long_running().items():
        assert svc["restart"] == "unless-stopped", name
        assert (
            int(svc["stop_grace_period"].rstrip("s")) > Settings.model_fields["graceful_timeout"].default
        ), name
        assert svc["depends_on"]["redis"]["condition"] == "service_healthy", name
        assert svc["depends_on"]["postgres"]["condition"] == "service_healthy", name
        assert svc["depends_on"]["bootstrap"]["condition"] == "service_completed_successfully", name
        assert svc["environment"]["NEWSFLOW_STORE_URL"].startswith("postgresql://"), name
        assert svc["healthcheck"]["test"], name
    boot = SERVICES["bootstrap"]
    assert boot["restart"] == "no" and boot["command"] == ["bootstrap"]
    assert {k: v["condition"] for k, v in boot["depends_on"].items()} == {
        "redis": "service_healthy",
        "postgres": "service_healthy",
    }


def test_base_images_are_variables_whose_defaults_are_the_upstream_images():
    """So the same files run with deploy/local-images.sh's equivalents where no registry is reachable."""
    for name, svc in SERVICES.items():
        if name not in newsflow_services():
            assert upstream(svc["image"]) != svc["image"], name
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.\d+-slim$", DOCKERFILE, re.M)
    assert DOCKERFILE.count("FROM ${PYTHON_IMAGE}") == 2
    build = SERVICES["api"]["build"]
    assert build["args"]["PYTHON_IMAGE"] == "${PYTHON_IMAGE:-python:3.11-slim}"
    script = (DEPLOY / "local-images.sh").read_text()
    for variable in ("PYTHON_IMAGE", "REDIS_IMAGE", "POSTGRES_IMAGE", "PROMETHEUS_IMAGE"):
        assert f'echo "{variable}=' in script, variable


def test_workers_can_be_scaled():
    # A fixed container name or host port would make a second replica fail to start.
    for name in WORKERS:
        assert "container_name" not in SERVICES[name] and "ports" not in SERVICES[name], name


def test_redis_and_postgres_keep_their_data_and_report_health():
    redis = SERVICES["redis"]
    major, minor = map(int, re.match(r"redis:(\d+)\.(\d+)", upstream(redis["image"])).groups())
    assert (major, minor) >= (7, 4)
    script = redis["command"][-1]
    assert redis["command"][:2] == ["sh", "-c"] and script.startswith("exec redis-server - ")
    assert "--appendonly yes" in script and "requirepass $$REDIS_PASSWORD" in script
    assert redis["healthcheck"]["test"] and any(v.endswith(":/data") for v in redis["volumes"])
    postgres = SERVICES["postgres"]
    assert postgres["healthcheck"]["test"]
    assert any(v.endswith(":/var/lib/postgresql/data") for v in postgres["volumes"])


def test_the_rum_override_builds_postgres_with_rum_and_every_newsflow_service_uses_it():
    """deploy/compose.rum.yaml: the RUM extension for the server's major version, and the store's text
    index set to it for every service that opens the store."""
    override = yaml.safe_load((DEPLOY / "compose.rum.yaml").read_text())["services"]
    postgres = override["postgres"]
    dockerfile = (DEPLOY / postgres["build"]["context"] / postgres["build"]["dockerfile"]).read_text()
    base = re.search(r"^FROM postgres:(\d+)-(\w+)$", dockerfile, re.M)
    assert base and base.group(2) != "alpine"  # RUM comes from the PostgreSQL apt repository
    assert upstream(SERVICES["postgres"]["image"]).startswith(
        f"postgres:{base.group(1)}-"
    )  # same major: same volume
    assert postgres["image"].endswith(f":{base.group(1)}") and postgres["pull_policy"] == "build"
    assert re.search(r'apt-get install .*"postgresql-\$\{PG_MAJOR\}-rum"', dockerfile)
    assert set(newsflow_services()) <= set(override)
    for name in newsflow_services():
        assert override[name]["environment"]["NEWSFLOW_PG_TEXT_INDEX"] == "rum", name
    assert Settings(pg_text_index="rum").pg_text_index == "rum"


def test_prometheus_scrapes_the_api_and_every_worker_replica_on_their_metrics_port():
    for name in ("prometheus", "grafana"):
        assert SERVICES[name]["profiles"] == ["monitoring"]
        for volume in SERVICES[name]["volumes"]:
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (DEPLOY / source).exists(), volume
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert jobs["newsflow-api"]["static_configs"][0]["targets"] == ["api:8000"]
    dns = jobs["newsflow-workers"]["dns_sd_configs"][0]
    assert sorted(dns["names"]) == sorted(WORKERS)
    for name in WORKERS:
        assert int(SERVICES[name]["environment"]["NEWSFLOW_METRICS_PORT"]) == dns["port"]


def _metric_names() -> set[str]:
    names = set()
    for collector in list(REGISTRY._collector_to_names):  # the registry has no public listing
        names.update(REGISTRY._collector_to_names[collector])
    return names


def test_the_grafana_dashboard_uses_only_metrics_newsflow_exports():
    dashboard = json.loads((DEPLOY / "grafana" / "dashboards" / "newsflow.json").read_text())
    exported = {n for n in _metric_names() if n.startswith("newsflow_")}
    used = set()
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            used.update(re.findall(r"\bnewsflow_[a-z_]+", target["expr"]))
    assert used and used <= exported, used - exported
    # And the headline series are on it.
    for name in (
        "newsflow_messages_total",
        "newsflow_stream_lag",
        "newsflow_dead_letters",
        "newsflow_store_articles",
        "newsflow_handler_seconds_bucket",
        "newsflow_fetch_responses_total",
        "newsflow_failures_total",
    ):
        assert name in used, name


def test_the_image_is_built_with_the_commands_dev_and_ci_run():
    assert DOCKERFILE.count("\nFROM ") + DOCKERFILE.startswith("FROM ") >= 2  # multi-stage
    assert re.search(r"^USER (?!root)\S+", DOCKERFILE, re.M)
    runs = " ".join(re.findall(r"^RUN (.+(?:\\\n.+)*)", DOCKERFILE, re.M))
    assert "newsflow prepare" in runs and "pip install" in runs
    dev = (REPO / "dev").read_text()
    assert 'newsflow" prepare' in dev and "pip install" in dev
    assert "newsflow prepare" in (REPO / "README.md").read_text()
    # Every folder a part of the meta-package is built from is copied into the build stage.
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    roots = {dep.split("{root:uri}/")[1].split("/")[0] for dep in pyproject["project"]["dependencies"]}
    assert roots == {"libs", "services"}, roots
    for root in roots:
        assert f"COPY {root} " in DOCKERFILE, root
    assert (REPO / SERVICES["api"]["build"]["context"].replace("..", ".") / "deploy" / "Dockerfile").exists()


def test_no_secret_is_baked_into_the_image_or_the_compose_file():
    for line in DOCKERFILE.splitlines():
        if line.startswith(("ENV", "ARG")) or line.startswith("    "):
            assert not re.search(r"PASSWORD|TOKEN|SECRET", line), line
    # Passwords come from deploy/.env and are required, with no default to fall back on.
    for var in ("REDIS_PASSWORD", "POSTGRES_PASSWORD", "GRAFANA_ADMIN_PASSWORD"):
        uses = re.findall(r"\$\{" + var + r"([^}]*)\}", COMPOSE_TEXT)
        assert uses and all(u.startswith(":?") for u in uses), var
    assert ".env" in (REPO / ".gitignore").read_text()


def test_the_build_context_holds_only_what_the_dockerfile_copies():
    ignore = [line for line in (REPO / ".dockerignore").read_text().splitlines() if line and line[0] != "#"]
    assert ignore[0] == "*"  # everything out (.venv, data, caches, .env), then only these back in
    let_in = {line[1:] for line in ignore if line.startswith("!")}
    copied = {
        src for line in re.findall(r"^COPY (?!--from)(.+) \S+$", DOCKERFILE, re.M) for src in line.split()
    }
    assert let_in == copied


def test_env_example_lists_every_setting_and_every_compose_variable():
    example = (REPO / ".env.example").read_text()
    listed = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", example, re.M))
    assert SETTINGS <= listed, SETTINGS - listed
    interpolated = set(re.findall(r"\$\{([A-Z_]+)", COMPOSE_TEXT))
    assert interpolated <= listed, interpolated - listed
    # Secrets are blank in the example, never a value someone could deploy with unchanged.
    for line in example.splitlines():
        if re.match(r"^#? ?[A-Z_]*(PASSWORD|TOKEN)=", line):
            assert line.endswith("="), line


def test_readme_documents_every_setting():
    readme = (REPO / "README.md").read_text()
    missing = [s for s in SETTINGS if f"`{s}`" not in readme]
    assert not missing, missing


def test_up_runs_half_the_cores_as_enrich_processes_by_default(monkeypatch):
    from newsflow.settings import Settings

    monkeypatch.delenv("NEWSFLOW_ENRICH_PROCESSES", raising=False)
    for cores, processes in ((None, 1), (1, 1), (2, 1), (4, 2), (8, 4), (64, 4)):
        monkeypatch.setattr("os.cpu_count", lambda cores=cores: cores)
        assert Settings().enrich_processes == processes
    monkeypatch.setenv("NEWSFLOW_ENRICH_PROCESSES", "3")
    assert Settings().enrich_processes == 3
