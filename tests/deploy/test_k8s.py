"""deploy/k8s rendered as CI would: each overlay through `kubectl kustomize` (Debian's
kubectl; `make kubectl` installs it), every object validated against the Kubernetes
schemas (`kubernetes-validate`), and the rules the deployment depends on checked: every
process probed, unprivileged, bounded; settings only as files, and only settings
rectrack reads; every command one the CLI has."""

from __future__ import annotations

import base64
import functools
import re
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from services.adapters.health import port_for
from services.adapters.settings import SETTINGS_DIR, Settings
from services.api.routers import health
from services.cli import build_parser

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
OVERLAYS = ("dev", "prod")
KUBERNETES_VERSIONS = ("1.29.0", kubernetes_validate.latest_version())
Doc = dict[str, Any]


def _kubectl() -> str:
    found = shutil.which("kubectl")
    if found is None:
        pytest.skip("no kubectl on PATH: `make kubectl` installs Debian's (needs root and apt)")
    return found


@functools.cache
def render(overlay: str) -> list[Doc]:
    done = subprocess.run(
        [_kubectl(), "kustomize", str(K8S / "overlays" / overlay)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return [d for d in yaml.safe_load_all(done.stdout) if d]


@pytest.fixture(scope="module", params=OVERLAYS)
def docs(request: pytest.FixtureRequest) -> list[Doc]:
    return render(request.param)


def of_kind(docs: list[Doc], kind: str) -> dict[str, Doc]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def pod_specs(docs: list[Doc]) -> Iterator[tuple[str, Doc]]:
    for doc in docs:
        spec = doc.get("spec", {})
        if doc["kind"] == "CronJob":
            spec = spec["jobTemplate"]["spec"]
        if "template" in spec:
            yield f"{doc['kind']}/{doc['metadata']['name']}", spec["template"]["spec"]


def test_every_object_is_valid_for_kubernetes(docs: list[Doc]) -> None:
    for doc in docs:
        for version in KUBERNETES_VERSIONS:
            kubernetes_validate.validate(doc, version, strict=True)


def test_every_process_is_unprivileged_and_bounded(docs: list[Doc]) -> None:
    pods = dict(pod_specs(docs))
    assert {"Deployment/rectrack-api", "Job/rectrack-migrate"} <= set(pods)
    for name, pod in pods.items():
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["automountServiceAccountToken"] is False, name
        for container in pod["containers"]:
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True, name
            assert security["allowPrivilegeEscalation"] is False, name
            assert security["capabilities"]["drop"] == ["ALL"], name
            for bound in ("requests", "limits"):
                assert set(container["resources"][bound]) == {"cpu", "memory"}, name


def test_every_long_running_process_has_three_probes_on_real_paths(docs: list[Doc]) -> None:
    api_paths = {route.path for route in health.router.routes}  # type: ignore[attr-defined]
    deployments = of_kind(docs, "Deployment")
    assert set(deployments) == {f"rectrack-{p}" for p in ("api", "worker", "relay", "projector")}
    for name, deployment in deployments.items():
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            get = container[probe]["httpGet"]
            assert get["port"] in ports, (name, probe)
            if name == "rectrack-api":
                assert get["path"] in api_paths, (name, probe)
            else:
                # The small health server of the non-HTTP processes, on the port the
                # process itself binds (the default base and its offset).
                process = name.removeprefix("rectrack-")
                expected = port_for(Settings.model_fields["health_port"].default, process)
                assert ports[get["port"]] == expected, (name, probe)
                assert get["path"] in {"/healthz", "/readyz"}, (name, probe)
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"


def _commands(container: Doc) -> list[list[str]]:
    command: list[str] = container["command"]
    if command[:2] == ["sh", "-c"]:
        steps = [shlex.split(step) for step in re.split(r"&&", command[2])]
        return [step for step in steps if step and step[0] == "rectrack"]
    return [command]


def test_every_command_is_one_the_cli_has(docs: list[Doc]) -> None:
    parser = build_parser()
    seen = set()
    for name, pod in pod_specs(docs):
        for container in pod["containers"]:
            for command in _commands(container):
                assert command[0] == "rectrack", name
                args = parser.parse_args(command[1:])
                assert callable(args.handler), name
                seen.add(command[1])
    assert {"api", "worker", "relay", "projector", "migrate"} <= seen


def _settings_files(docs: list[Doc]) -> dict[str, str]:
    files: dict[str, str] = {}
    for doc in docs:
        if doc["kind"] == "ConfigMap":
            files.update(doc["data"])
        elif doc["kind"] == "Secret":
            files.update({k: base64.b64decode(v).decode() for k, v in doc["data"].items()})
    return files


def test_settings_are_files_of_settings_rectrack_reads(docs: list[Doc]) -> None:
    known = set(Settings.model_fields) | {"database_owner_url"}  # the owner role's URL
    files = _settings_files(docs)
    # A file in the settings folder that names no setting would be ignored in silence.
    assert set(files) <= known, set(files) - known
    for name, pod in pod_specs(docs):
        for container in pod["containers"]:
            env = {e["name"]: e.get("value", "") for e in container["env"]}
            assert env[SETTINGS_DIR] == "/etc/rectrack/settings", name
            mounts = {m["mountPath"] for m in container["volumeMounts"]}
            assert env[SETTINGS_DIR] in mounts, name
            for variable, value in env.items():
                assert variable == SETTINGS_DIR or (
                    variable.startswith("RECTRACK_")
                    and variable.removeprefix("RECTRACK_").lower() in known
                    and value.startswith("/")  # a path, never a secret's value
                ), (name, variable)
    for config in of_kind(docs, "ConfigMap").values():
        assert not {"database_url", "encryption_key"} & set(config["data"]), (
            "secrets in a ConfigMap"
        )


def test_prod_reaches_postgres_and_temporal_over_tls_with_standbys() -> None:
    docs = render("prod")
    (config,) = of_kind(docs, "ConfigMap").values()
    files = config["data"]
    for key in ("temporal_tls_ca_file", "temporal_tls_cert_file", "temporal_tls_key_file"):
        assert files[key].startswith("/etc/rectrack/temporal-tls/"), key
    # The operator's Secrets are not in the repository.
    assert not of_kind(docs, "Secret")
    deployments = of_kind(docs, "Deployment")
    assert deployments["rectrack-relay"]["spec"]["replicas"] == 2
    assert deployments["rectrack-projector"]["spec"]["replicas"] == 2
    assert deployments["rectrack-worker"]["spec"]["replicas"] == 3
    assert "replicas" not in deployments["rectrack-api"]["spec"]  # the autoscaler's
    (hpa,) = of_kind(docs, "HorizontalPodAutoscaler").values()
    assert hpa["spec"]["scaleTargetRef"]["name"] in deployments
    api_labels = deployments["rectrack-api"]["spec"]["template"]["metadata"]["labels"]
    for pdb in of_kind(docs, "PodDisruptionBudget").values():
        selected = pdb["spec"]["selector"]["matchLabels"]
        assert any(
            selected.items() <= d["spec"]["template"]["metadata"]["labels"].items()
            for d in deployments.values()
        )
    (service,) = of_kind(docs, "Service").values()
    assert service["spec"]["selector"].items() <= api_labels.items()
    assert of_kind(docs, "CronJob")["rectrack-backup"]
    # Only the migration Job sees the owner role's URL.
    for name, pod in pod_specs(docs):
        sources = [
            s.get("secret", {}).get("name")
            for v in pod["volumes"]
            for s in v.get("projected", {}).get("sources", [])
        ]
        assert ("rectrack-owner" in sources) == (name == "Job/rectrack-migrate"), name


def test_dev_database_urls_are_urls_libpq_reads() -> None:
    from psycopg.conninfo import conninfo_to_dict

    files = _settings_files(render("dev"))
    for key in ("database_url", "database_owner_url"):
        params = conninfo_to_dict(files[key])
        assert params["sslmode"] == "disable" and params["dbname"] == "rectrack", key


OPERATOR_SECRETS = {
    "rectrack-secrets",
    "rectrack-owner",
    "rectrack-postgres-ca",
    "rectrack-temporal-tls",
    "rectrack-audit-key",
    "rectrack-ingress-tls",
}


def test_every_volume_names_an_object_rendered_or_one_the_operator_creates(
    docs: list[Doc],
) -> None:
    """A generated ConfigMap's name carries a hash; a reference kustomize did not rewrite
    would mount nothing."""
    config_maps, secrets = set(of_kind(docs, "ConfigMap")), set(of_kind(docs, "Secret"))
    for name, pod in pod_specs(docs):
        for volume in pod["volumes"]:
            sources = volume.get("projected", {}).get("sources", [volume])
            for source in sources:
                if "configMap" in source:
                    assert source["configMap"]["name"] in config_maps, name
                secret = source.get("secret", {})
                secret_name = secret.get("name") or secret.get("secretName")
                if secret_name:
                    assert secret_name in secrets or secret_name in OPERATOR_SECRETS, name
