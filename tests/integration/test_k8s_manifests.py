"""Renders each k8s/ overlay; checks it against the Kubernetes schemas and the mesh's policies."""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from runtime.grant_keys import parse_grant_keys
from runtime.identity_keys import parse_identity_keys
from runtime.topology import CALLS, GATEWAY, GRPC_SERVICES, WORKER, address_variable, callers_of
from services.tasks.domain.kinds import LANES
from tests.service_settings import SETTINGS

REPO = Path(__file__).resolve().parents[2]
OVERLAYS = ("dev", "prod")
# The oldest AKS minor version we deploy to: a field newer than it fails validation here.
KUBERNETES_VERSION = "1.32.0"
NAMESPACE = "leaf"
PART_OF = ("app.kubernetes.io/part-of", "leaf-enterprise")
NAME_LABEL = "app.kubernetes.io/name"

GRPC_PORT, HTTP_PORT = 50051, 8080
# The app's stop(grace) after it flips its health to NOT_SERVING (LEAF_GRPC_GRACE_SECONDS).
APP_GRACE_SECONDS = 10.0
# Who may call whom: runtime/topology.py declares it once, and the services' settings read
# exactly those addresses. The NetworkPolicies and *_ADDR variables must say exactly this.
SERVICES = sorted(set(CALLS) - {WORKER})  # the processes that serve: a Deployment, Service, HPA each
# The lane workers (runtime/topology.py: WORKER): one Deployment per lane, serving nothing, scaled by KEDA in prod.
WORKERS = tuple(f"{WORKER}-{lane}" for lane in LANES)
DEPLOYMENTS = (*SERVICES, *WORKERS)
WORKER_GRACE_SECONDS = 30.0  # LEAF_WORKER_GRACE_SECONDS: the task in hand's time to finish after SIGTERM
EDGE = GATEWAY  # the one service reachable from outside the namespace
# Every gRPC service signs (scope) or verifies scope grants with the mesh's one shared key set;
# the gateway only forwards grants and holds no grant key.
GRANT_KEYS = "LEAF_GRANT_KEYS"
GRANT_KEYS_VAULT_OBJECT = "leaf-grant-keys"
# The caller-identity signing keys (runtime/identity_keys.py), wired like the grant keys into
# every service, the gateway too (it signs what the others verify): one Key Vault secret in prod,
# one labelled throwaway Secret in dev (test_every_service_shares_one_identity_key_set).
IDENTITY_KEYS = "LEAF_IDENTITY_KEYS"
IDENTITY_KEYS_VAULT_OBJECT = "leaf-identity-keys"
DEV_IDENTITY_SECRET = "leaf-dev-identity-keys"
MESH_KEYS = {GRANT_KEYS, IDENTITY_KEYS}
# The secrets each process reads in prod (besides IDENTITY_KEYS), all from Key Vault; dev runs
# on embedded defaults except for the shared, throwaway mesh keys (DEV_SECRET). None for an
# integration that is not built: itr has no Salesforce client yet, tasks no model. The workers read
# the tasks database (they are its code) and no grant key: they ask the scope service for grants.
PROD_SECRETS: dict[str, set[str]] = {
    "scope": {"LEAF_SCOPE_DB_URL", GRANT_KEYS},
    "calc": {"LEAF_CALC_DB_URL", "LEAF_CLAIMS_URL", GRANT_KEYS},
    "evidence": {"LEAF_EVIDENCE_DB_URL", "LEAF_GRAPH_CLIENT_SECRET", GRANT_KEYS},
    "itr": {"LEAF_ITR_DB_URL", GRANT_KEYS},
    "publisher": {"LEAF_PUBLISHER_DB_URL", "LEAF_DOMO_CLIENT_ID", "LEAF_DOMO_CLIENT_SECRET",
                  "LEAF_PSEUDONYM_KEY", GRANT_KEYS},
    "tasks": {"LEAF_TASKS_DB_URL", GRANT_KEYS},
    "takeover": {"LEAF_TAKEOVER_DB_URL", GRANT_KEYS},
    WORKER: {"LEAF_TASKS_DB_URL"},
    "gateway": {"LEAF_APIM_SECRET"},
}
# Variables a pod may get that no settings class reads: OpenTelemetry's own, and the
# publisher's scratch directory (read by Python's tempfile).
PROCESS_VARIABLES = {"OTEL_SERVICE_NAME", "OTEL_EXPORTER_OTLP_ENDPOINT", "TMPDIR"}
# Non-secret settings prod must set (the code refuses to start on an embedded default or a
# half-configured integration), from the service's settings ConfigMap.
QUEUE_SETTINGS = {"LEAF_QUEUE", "LEAF_SERVICEBUS_NAMESPACE"}  # Service Bus, for tasks and every lane's worker
PROD_SETTINGS: dict[str, set[str]] = {
    "publisher": {"LEAF_DOMO_API_HOST", "LEAF_ADLS_ACCOUNT_URL", "LEAF_ADLS_FILESYSTEM"},
    "gateway": {"LEAF_CF_ACCESS_TEAM_DOMAIN", "LEAF_CF_ACCESS_AUD", "LEAF_GATEWAY_CORS_ORIGINS"},
    "tasks": QUEUE_SETTINGS,
    "takeover": {"LEAF_TAKEOVER_ADLS_URL", "LEAF_TAKEOVER_ADLS_FILESYSTEM"},
    **{worker: QUEUE_SETTINGS for worker in WORKERS},
}
# Processes that reach HTTPS endpoints outside the cluster in prod (Graph for evidence, Domo
# and ADLS for the publisher, ADLS for takeover's bronze, Cloudflare Access's signing keys for the gateway,
# Entra ID sign-in for the workload identity that tasks and the workers reach Service Bus with).
PROD_EXTERNAL_HTTPS = {"evidence", "publisher", "takeover", "gateway", "tasks", *WORKERS}
KEDA_API = "keda.sh/v1alpha1"
# LEAF_DOMO_CLIENT_ID is treated as a secret although its name does not say so.
SECRET_NAME = re.compile(
    r"(_SECRET|_PASSWORD|_DB_URL|_CONNECTION|_KEY|_KEYS)$|^LEAF_CLAIMS_URL$|^LEAF_DOMO_CLIENT_ID$")
# The dev overlay's generated Secrets of throwaway mesh keys: the only Secret objects any
# overlay may render. DEV_SECRET holds the grant keys.
DEV_SECRET = "leaf-dev-grant-keys"
DEV_SECRET_PREFIX = "leaf-dev-"
DEV_SECRET_LABEL = ("app.kubernetes.io/component", "dev-only-throwaway")
# The publisher renders a run's artifacts into /tmp before streaming them to the store (~0.8 GB at a million claims).
PUBLISHER_MIN_TMP, PUBLISHER_MIN_MEMORY_LIMIT = 2 * 2**30, 2 * 2**30
MIN_REPLICAS = {"dev": 1, "prod": 2}
# Domo's shared datasets are read-merge-written; replicas take turns through a lease in the publisher database.
LEASED_WRITER = "publisher"
WORKLOAD_IDENTITY_USE = "azure.workload.identity/use"
WORKLOAD_IDENTITY_CLIENT = "azure.workload.identity/client-id"
SPC_API = "secrets-store.csi.x-k8s.io/v1"
CSI_DRIVER = "secrets-store.csi.k8s.io"


def port_of(service: str) -> tuple[str, int]:
    return ("http", HTTP_PORT) if service == EDGE else ("grpc", GRPC_PORT)


def role_of(deployment: str) -> str:
    """A Deployment's process in the call graph and in SETTINGS: its name, or `worker` for each lane's worker."""
    return WORKER if deployment in WORKERS else deployment


# --- rendering ---------------------------------------------------------------------------


@dataclass
class Rendered:
    env: str
    docs: list[dict]

    def of(self, kind: str) -> list[dict]:
        return [d for d in self.docs if d["kind"] == kind]

    def get(self, kind: str, name: str) -> dict:
        found = [d for d in self.of(kind) if d["metadata"]["name"] == name]
        assert len(found) == 1, f"{self.env}: expected one {kind}/{name}, found {len(found)}"
        return found[0]

    def container(self, service: str) -> dict:
        (container,) = self.get("Deployment", service)["spec"]["template"]["spec"]["containers"]
        return container

    def env_of(self, service: str) -> dict[str, dict]:
        return {e["name"]: e for e in self.container(service).get("env", [])}


def kubectl() -> str:
    path = shutil.which("kubectl")
    if path:
        return path
    message = ("!!! kubectl IS NOT ON PATH: THE KUBERNETES MANIFESTS WERE NOT RENDERED OR "
               "VALIDATED. Install kubectl (it bundles kustomize). !!!")
    if os.environ.get("CI", "").lower() in ("true", "1"):
        pytest.fail(message + " CI=true requires it.")
    warnings.warn(message, stacklevel=2)
    pytest.skip(message)


@pytest.fixture(scope="module", params=OVERLAYS)
def rendered(request: pytest.FixtureRequest) -> Rendered:
    path = REPO / "k8s" / "overlays" / request.param
    result = subprocess.run([kubectl(), "kustomize", str(path)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"kubectl kustomize {path} failed:\n{result.stderr}"
    docs = [d for d in yaml.safe_load_all(result.stdout) if d]
    assert docs, f"{path} rendered nothing"
    return Rendered(request.param, docs)


def test_every_overlay_is_checked() -> None:
    present = {p.name for p in (REPO / "k8s" / "overlays").iterdir() if p.is_dir()}
    assert present == set(OVERLAYS), "a new overlay needs its expectations in this test"


# --- schemas -----------------------------------------------------------------------------


def test_every_object_matches_the_kubernetes_schema(rendered: Rendered) -> None:
    errors = []
    for doc in rendered.docs:
        where = f"{doc['kind']}/{doc['metadata']['name']}"
        if doc["kind"] == "SecretProviderClass":
            errors += [f"{where}: {e}" for e in secret_provider_class_errors(doc)]
            continue
        if doc["kind"] in KEDA_CHECKS:
            errors += [f"{where}: {e}" for e in KEDA_CHECKS[doc["kind"]](doc)]
            continue
        try:
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as e:
            errors.append(f"{where}: {'.'.join(map(str, e.path))}: {e.message}")
        except kubernetes_validate.SchemaNotFoundError as e:
            errors.append(f"{where}: {e.message}; check it by hand like SecretProviderClass")
    assert not errors, f"{rendered.env}:\n" + "\n".join(errors)


def secret_provider_class_errors(spc: dict) -> list[str]:
    """The CRD is not in the Kubernetes schemas: check what the Azure provider needs by hand."""
    errors = []
    if spc.get("apiVersion") != SPC_API:
        errors.append(f"apiVersion must be {SPC_API}")
    spec = spc.get("spec", {})
    unknown = set(spc) - {"apiVersion", "kind", "metadata", "spec"}
    unknown |= {f"spec.{key}" for key in set(spec) - {"provider", "parameters", "secretObjects"}}
    if unknown:
        errors.append(f"unknown fields {sorted(unknown)}")
    if spec.get("provider") != "azure":
        errors.append("spec.provider must be azure")
    params = spec.get("parameters", {})
    if not all(isinstance(v, str) for v in params.values()):
        errors.append("every spec.parameters value must be a string")
    for key in ("clientID", "keyvaultName", "tenantID", "objects"):
        if not params.get(key):
            errors.append(f"spec.parameters.{key} is missing or empty")
    if params.get("usePodIdentity") != "false":
        errors.append('spec.parameters.usePodIdentity must be "false" (workload identity)')
    declared = set()
    for item in (yaml.safe_load(params.get("objects") or "{}") or {}).get("array", []):
        obj = yaml.safe_load(item)
        if not re.fullmatch(r"[0-9A-Za-z-]{1,127}", str(obj.get("objectName", ""))):
            errors.append(f"invalid Key Vault objectName in {obj}")
        if obj.get("objectType") not in {"secret", "key", "cert"}:
            errors.append(f"invalid objectType in {obj}")
        declared.add(obj.get("objectName"))
    if not declared:
        errors.append("spec.parameters.objects declares no Key Vault object")
    for synced in spec.get("secretObjects", []):
        if not synced.get("secretName") or not synced.get("type") or not synced.get("data"):
            errors.append(f"secretObjects entry needs secretName, type and data: {synced}")
        for item in synced.get("data", []):
            if item.get("objectName") not in declared or not item.get("key"):
                errors.append(f"secretObjects data {item} names an undeclared object or no key")
    return errors


def keda_errors(doc: dict, spec_fields: set[str]) -> list[str]:
    """KEDA's CRDs are not in the Kubernetes schemas either: the fields we use, checked by hand against KEDA's
    documented v1alpha1 shape."""
    errors = [] if doc.get("apiVersion") == KEDA_API else [f"apiVersion must be {KEDA_API}"]
    unknown = set(doc) - {"apiVersion", "kind", "metadata", "spec"}
    unknown |= {f"spec.{key}" for key in set(doc.get("spec", {})) - spec_fields}
    return errors + ([f"unknown fields {sorted(unknown)}"] if unknown else [])


def scaled_object_errors(doc: dict) -> list[str]:
    spec = doc.get("spec", {})
    errors = keda_errors(doc, {"scaleTargetRef", "minReplicaCount", "maxReplicaCount", "pollingInterval",
                               "cooldownPeriod", "triggers"})
    if set(spec.get("scaleTargetRef", {})) != {"name"}:
        errors.append("spec.scaleTargetRef names a Deployment by name only")
    counts = [spec.get(k) for k in ("minReplicaCount", "maxReplicaCount", "pollingInterval", "cooldownPeriod")]
    if not all(isinstance(c, int) and c >= 0 for c in counts) or counts[0] > counts[1]:
        errors.append("replica counts and intervals must be integers, min <= max")
    for trigger in spec.get("triggers") or [{}]:
        metadata = trigger.get("metadata", {})
        if set(trigger) - {"type", "metadata", "authenticationRef"} or trigger.get("type") != "azure-servicebus":
            errors.append(f"a trigger is azure-servicebus with metadata and authenticationRef: {trigger}")
        if not all(isinstance(v, str) for v in metadata.values()):
            errors.append("every trigger metadata value must be a string")
        if set(metadata) - {"queueName", "namespace", "messageCount", "activationMessageCount"}:
            errors.append(f"unknown trigger metadata {sorted(metadata)}")
        if not metadata.get("queueName") or not metadata.get("namespace"):
            errors.append("workload identity needs queueName and namespace")
        if set(trigger.get("authenticationRef", {})) != {"name"}:
            errors.append("authenticationRef names a TriggerAuthentication")
    return errors


def trigger_authentication_errors(doc: dict) -> list[str]:
    errors = keda_errors(doc, {"podIdentity"})
    identity = doc.get("spec", {}).get("podIdentity", {})
    if identity.get("provider") != "azure-workload" or set(identity) - {"provider", "identityId"}:
        errors.append("podIdentity is provider azure-workload with an optional identityId")
    return errors


KEDA_CHECKS = {"ScaledObject": scaled_object_errors, "TriggerAuthentication": trigger_authentication_errors}


# --- every service's objects -------------------------------------------------------------


def test_objects_live_in_the_leaf_namespace_and_mesh(rendered: Rendered) -> None:
    for doc in rendered.docs:
        meta = doc["metadata"]
        if doc["kind"] != "Namespace":
            assert meta.get("namespace") == NAMESPACE, f"{doc['kind']}/{meta['name']}"
        assert meta.get("labels", {}).get(PART_OF[0]) == PART_OF[1], f"{doc['kind']}/{meta['name']}"
    assert rendered.get("Namespace", NAMESPACE)["metadata"]["labels"][
        "pod-security.kubernetes.io/enforce"] == "restricted"


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_has_its_objects(rendered: Rendered, service: str) -> None:
    for kind in ("Deployment", "Service", "ServiceAccount", "HorizontalPodAutoscaler",
                 "PodDisruptionBudget", "NetworkPolicy"):
        rendered.get(kind, service)


@pytest.mark.parametrize("service", DEPLOYMENTS)
def test_deployment_runs_locked_down(rendered: Rendered, service: str) -> None:
    pod = rendered.get("Deployment", service)["spec"]["template"]["spec"]
    assert pod["securityContext"] == {
        "runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001, "fsGroup": 10001,
        "seccompProfile": {"type": "RuntimeDefault"}}
    assert pod["automountServiceAccountToken"] is False
    assert pod["serviceAccountName"] == role_of(service)  # the lanes share the workers' one identity
    assert rendered.get("ServiceAccount", role_of(service))["automountServiceAccountToken"] is False
    context = rendered.container(service)["securityContext"]
    assert context["allowPrivilegeEscalation"] is False
    assert context["readOnlyRootFilesystem"] is True
    assert context["capabilities"] == {"drop": ["ALL"]}
    assert context.get("privileged") is not True


@pytest.mark.parametrize("service", DEPLOYMENTS)
def test_deployment_has_scratch_space_resources_and_time_to_stop(
        rendered: Rendered, service: str) -> None:
    pod = rendered.get("Deployment", service)["spec"]["template"]["spec"]
    container = rendered.container(service)
    for kind in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(container["resources"].get(kind, {})), kind
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    for path in ("/var/lib/leaf", "/tmp"):
        assert "emptyDir" in volumes[mounts[path]], f"{path} must be an emptyDir"
    assert rendered.env_of(service)["LEAF_HOME"]["value"] == "/var/lib/leaf"
    grace = float(rendered.env_of(service).get("LEAF_GRPC_GRACE_SECONDS", {}).get(
        "value", APP_GRACE_SECONDS))
    if service in WORKERS:  # the task in hand finishes or goes back on its queue within this grace
        grace = float(rendered.env_of(service)["LEAF_WORKER_GRACE_SECONDS"]["value"])
        assert grace == WORKER_GRACE_SECONDS
    assert grace < pod["terminationGracePeriodSeconds"] <= 3 * grace, "SIGKILL must follow the drain"
    assert "lifecycle" not in container, "the app drains on SIGTERM itself; no preStop hook"


@pytest.mark.parametrize("service", SERVICES)
def test_deployment_probes_the_app_health(rendered: Rendered, service: str) -> None:
    container = rendered.container(service)
    port_name, port = port_of(service)
    assert {"name": port_name, "containerPort": port, "protocol": "TCP"} in container["ports"]
    probes = {p: container.get(p) for p in ("startupProbe", "readinessProbe", "livenessProbe")}
    assert all(probes.values()), f"{service} lacks one of {list(probes)}"
    if service == EDGE:
        assert probes["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": port_name}
        assert probes["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": port_name}
    else:
        assert all(p.get("grpc", {}).get("port") == port for p in probes.values()), probes


@pytest.mark.parametrize("service", SERVICES)
def test_service_exposes_the_named_port(rendered: Rendered, service: str) -> None:
    svc = rendered.get("Service", service)["spec"]
    port_name, port = port_of(service)
    assert svc.get("type", "ClusterIP") == "ClusterIP"
    assert svc["ports"] == [{"name": port_name, "port": port, "targetPort": port_name,
                             "protocol": "TCP", "appProtocol": port_name}]
    assert svc["selector"] == selector_of(rendered, service)


@pytest.mark.parametrize("service", SERVICES)
def test_autoscaling_and_disruption_budget(rendered: Rendered, service: str) -> None:
    deployment = rendered.get("Deployment", service)
    assert "replicas" not in deployment["spec"], "the HPA owns the replica count"
    hpa = rendered.get("HorizontalPodAutoscaler", service)
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment",
                                             "name": service}
    assert [m["resource"]["name"] for m in hpa["spec"]["metrics"]] == ["cpu"]
    pdb = rendered.get("PodDisruptionBudget", service)
    assert pdb["apiVersion"] == "policy/v1"
    assert pdb["spec"]["selector"]["matchLabels"] == selector_of(rendered, service)
    assert hpa["spec"]["minReplicas"] == MIN_REPLICAS[rendered.env]
    assert pdb["spec"]["minAvailable"] == 1


def test_the_publisher_scales_and_rolls_like_every_service_now_domo_has_a_single_writer(rendered: Rendered) -> None:
    """Two publishers side by side (replicas, or a rollout's old and new pod) take turns on Domo through the lease
    (services/publisher/adapters/lease.py; tests/integration/test_domo_lease.py), so no pin to one pod remains."""
    hpa = rendered.get("HorizontalPodAutoscaler", LEASED_WRITER)["spec"]
    assert hpa["minReplicas"] == MIN_REPLICAS[rendered.env] and hpa["maxReplicas"] > 1
    strategy = rendered.get("Deployment", LEASED_WRITER)["spec"]["strategy"]
    assert strategy == {"rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}
    assert rendered.get("PodDisruptionBudget", LEASED_WRITER)["spec"]["minAvailable"] == 1


def selector_of(rendered: Rendered, service: str) -> dict:
    selector = rendered.get("Deployment", service)["spec"]["selector"]["matchLabels"]
    assert selector == {NAME_LABEL: service}
    return selector


# --- network policy ----------------------------------------------------------------------


def pod_labels(rendered: Rendered, service: str) -> dict:
    return rendered.get("Deployment", service)["spec"]["template"]["metadata"]["labels"]


def selects(selector: dict, labels: dict) -> bool:
    assert set(selector) <= {"matchLabels"}, f"this test reads matchLabels only: {selector}"
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


def admits_port(rule: dict, port_name: str, port: int) -> bool:
    ports = rule.get("ports") or [{}]
    return any(p.get("protocol", "TCP") == "TCP" and (
        "port" not in p or p["port"] in (port, port_name)
        or (isinstance(p["port"], int) and p["port"] <= port <= p.get("endPort", p["port"])))
        for p in ports)


def peer_matches_pod(peer: dict, namespace_labels: dict, labels: dict) -> bool:
    """Whether a from/to peer covers a pod of this namespace (an ipBlock may hold pod IPs)."""
    if "ipBlock" in peer:
        return True
    in_namespace = ("namespaceSelector" not in peer
                    or selects(peer["namespaceSelector"], namespace_labels))
    return in_namespace and selects(peer.get("podSelector", {}), labels)


def peer_reaches_outside(peer: dict) -> bool:
    own = {"kubernetes.io/metadata.name": NAMESPACE}
    return "ipBlock" in peer or ("namespaceSelector" in peer
                                 and peer["namespaceSelector"].get("matchLabels") != own)


def rules_for(rendered: Rendered, service: str, direction: str) -> list[dict]:
    """The rules of every policy that selects the service's pods, for "ingress" or "egress"."""
    return [rule for policy in rendered.of("NetworkPolicy")
            if direction.capitalize() in policy["spec"]["policyTypes"]
            and selects(policy["spec"]["podSelector"], pod_labels(rendered, service))
            for rule in policy["spec"].get(direction, [])]


def namespace_labels(rendered: Rendered) -> dict:
    labels = dict(rendered.get("Namespace", NAMESPACE)["metadata"].get("labels", {}))
    return labels | {"kubernetes.io/metadata.name": NAMESPACE}


def callers_admitted(rendered: Rendered, service: str) -> set[str]:
    """The processes whose every pod some ingress rule of the service admits (the workers: every lane's)."""
    port_name, port = port_of(service)
    rules = [rule for rule in rules_for(rendered, service, "ingress") if admits_port(rule, port_name, port)]
    return {caller for caller in (*SERVICES, WORKER)
            if all(any(peer_matches_pod(p, namespace_labels(rendered), labels)
                       for rule in rules for p in rule.get("from") or [{"namespaceSelector": {}}])
                   for labels in pods_of(rendered, caller))}


def pods_of(rendered: Rendered, process: str) -> list[dict]:
    """The pod labels of a process: one Deployment's, or each lane's for the workers."""
    return [pod_labels(rendered, name) for name in (WORKERS if process == WORKER else (process,))]


def callees_reachable(rendered: Rendered, service: str) -> set[str]:
    return {callee for callee in SERVICES for rule in rules_for(rendered, service, "egress")
            if admits_port(rule, *port_of(callee))
            and any(peer_matches_pod(p, namespace_labels(rendered), pod_labels(rendered, callee))
                    for p in rule.get("to") or [{"namespaceSelector": {}}])}


def test_namespace_denies_by_default_and_allows_dns(rendered: Rendered) -> None:
    everyone = [p for p in rendered.of("NetworkPolicy") if p["spec"]["podSelector"] == {}]
    assert any({"Ingress", "Egress"} <= set(p["spec"]["policyTypes"])
               and not p["spec"].get("ingress") and not p["spec"].get("egress")
               for p in everyone), "no default-deny NetworkPolicy for ingress and egress"
    dns_ports = [(port["protocol"], port["port"]) for p in everyone
                 for rule in p["spec"].get("egress", []) for port in rule.get("ports", [])]
    assert {("UDP", 53), ("TCP", 53)} <= set(dns_ports), "no DNS egress for every pod"


@pytest.mark.parametrize("service", SERVICES)
def test_ingress_admits_exactly_the_callers(rendered: Rendered, service: str) -> None:
    assert callers_admitted(rendered, service) == set(callers_of(service))


@pytest.mark.parametrize("service", DEPLOYMENTS)
def test_egress_reaches_exactly_the_callees(rendered: Rendered, service: str) -> None:
    assert callees_reachable(rendered, service) == set(CALLS[role_of(service)])


@pytest.mark.parametrize("worker", WORKERS)
def test_nothing_reaches_a_worker(rendered: Rendered, worker: str) -> None:
    assert rules_for(rendered, worker, "ingress") == [], "a worker serves nothing"


def test_only_the_gateway_admits_traffic_from_outside(rendered: Rendered) -> None:
    open_to_outside = {service for service in DEPLOYMENTS
                       for rule in rules_for(rendered, service, "ingress")
                       if not rule.get("from") or any(map(peer_reaches_outside, rule["from"]))}
    assert open_to_outside == {EDGE}
    for rule in rules_for(rendered, EDGE, "ingress"):
        assert all(set(peer) == {"namespaceSelector"} for peer in rule["from"]), \
            "the gateway admits the ingress controller's namespace, not address ranges"
        assert rule["ports"] == [{"port": HTTP_PORT, "protocol": "TCP"}]


# --- configuration -----------------------------------------------------------------------


def test_no_secret_is_ever_a_literal(rendered: Rendered) -> None:
    secrets = rendered.of("Secret")
    if rendered.env == "dev":
        # The one exception: the dev overlay's throwaway mesh keys, labelled as such.
        dev_secret(rendered)
        for secret in secrets:
            where = f"Secret/{secret['metadata']['name']}"
            assert secret["metadata"]["name"].startswith(DEV_SECRET_PREFIX), where
            assert secret["metadata"]["labels"].get(DEV_SECRET_LABEL[0]) == DEV_SECRET_LABEL[1], where
            assert set(secret["data"]) <= MESH_KEYS, f"{where}: dev renders only throwaway mesh keys"
    else:
        assert not secrets, "Secrets come from Key Vault through the CSI driver"
    for config in rendered.of("ConfigMap"):
        leaked = [k for k in config.get("data", {}) if SECRET_NAME.search(k)]
        assert not leaked, f"ConfigMap/{config['metadata']['name']} carries secrets {leaked}"
    for doc in rendered.docs:
        for var in env_vars_in(doc):
            if SECRET_NAME.search(var["name"]):
                where = f"{doc['kind']}/{doc['metadata']['name']}: {var['name']}"
                assert "value" not in var, f"{where} has a literal value"
                assert "secretKeyRef" in var.get("valueFrom", {}), f"{where} is not a secret ref"


def env_vars_in(node: object):
    """Every env entry anywhere in an object (containers, init containers, job templates)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "env" and isinstance(value, list):
                yield from value
            else:
                yield from env_vars_in(value)
    elif isinstance(node, list):
        for item in node:
            yield from env_vars_in(item)


def dev_secret(rendered: Rendered) -> dict:
    """The dev overlay's generated, clearly labelled throwaway Secret holding LEAF_GRANT_KEYS."""
    assert rendered.env == "dev"
    (secret,) = [s for s in rendered.of("Secret")
                 if s["metadata"]["name"].startswith(f"{DEV_SECRET}-")]  # generator's hash suffix
    assert secret["metadata"]["labels"].get(DEV_SECRET_LABEL[0]) == DEV_SECRET_LABEL[1]
    assert GRANT_KEYS in secret["data"] and set(secret["data"]) <= MESH_KEYS
    return secret


@pytest.mark.parametrize("service", DEPLOYMENTS)
def test_secrets_come_from_key_vault_in_prod_only(rendered: Rendered, service: str) -> None:
    secret_vars = {n: v for n, v in rendered.env_of(service).items() if SECRET_NAME.search(n)}
    if rendered.env == "dev":
        assert set(secret_vars) == {IDENTITY_KEYS} | ({GRANT_KEYS} if service in GRPC_SERVICES else set()), \
            "dev runs on embedded defaults, apart from the shared throwaway mesh keys"
        return
    assert set(secret_vars) == PROD_SECRETS[role_of(service)] | {IDENTITY_KEYS}
    syncing = key_vault_objects(rendered, service)
    for name in secret_vars:
        assert name in syncing, f"{name}: no SecretProviderClass mounted by {service} syncs it"


def key_vault_objects(rendered: Rendered, service: str) -> dict[str, str]:
    """Env var → Key Vault object name, for the service's secret env synced by a mounted SPC."""
    pod = rendered.get("Deployment", service)["spec"]["template"]["spec"]
    mounted = {v["name"]: v["csi"]["volumeAttributes"]["secretProviderClass"]
               for v in pod["volumes"] if v.get("csi", {}).get("driver") == CSI_DRIVER}
    mounted = {mounted[m["name"]] for m in rendered.container(service)["volumeMounts"]
               if m["name"] in mounted}
    found = {}
    for name, var in rendered.env_of(service).items():
        ref = var.get("valueFrom", {}).get("secretKeyRef")
        if not ref:
            continue
        assert ref["key"] == name, f"{service}: {name} reads key {ref['key']}"
        for spc in rendered.of("SecretProviderClass"):
            if spc["metadata"]["name"] not in mounted:
                continue
            for synced in spc["spec"].get("secretObjects", []):
                for item in synced["data"] if synced["secretName"] == ref["name"] else []:
                    if item["key"] == name:
                        found[name] = item["objectName"]
    return found


def test_grpc_services_share_one_grant_key_set(rendered: Rendered) -> None:
    """Scope signs grants and every gRPC service verifies them: all must hold the same keys."""
    assert GRANT_KEYS not in rendered.env_of(EDGE), "the gateway holds no grant key"
    refs = {service: rendered.env_of(service)[GRANT_KEYS]["valueFrom"]["secretKeyRef"]
            for service in GRPC_SERVICES}
    if rendered.env == "dev":
        # Left to its embedded default, each pod would make its own key in its emptyDir.
        secret = dev_secret(rendered)
        assert all(ref == {"name": secret["metadata"]["name"], "key": GRANT_KEYS}
                   for ref in refs.values()), refs
        keys = parse_grant_keys(base64.b64decode(secret["data"][GRANT_KEYS]).decode())
        assert "dev" in keys.current[0] and b"DEV-ONLY" in keys.current[1], \
            "the dev grant key must say it is a throwaway"
    else:
        objects = {service: key_vault_objects(rendered, service).get(GRANT_KEYS)
                   for service in GRPC_SERVICES}
        assert set(objects.values()) == {GRANT_KEYS_VAULT_OBJECT}, objects
        assert all(not ref["name"].startswith(DEV_SECRET) for ref in refs.values())


def test_every_service_shares_one_identity_key_set(rendered: Rendered) -> None:
    """The gateway (and the publisher, as itself, and the workers, for each task's submitter) signs caller identities
    and every service verifies them: all hold the same keys, apart from the grant keys."""
    refs = {service: rendered.env_of(service)[IDENTITY_KEYS]["valueFrom"]["secretKeyRef"] for service in DEPLOYMENTS}
    if rendered.env == "dev":
        (secret,) = [s for s in rendered.of("Secret") if s["metadata"]["name"].startswith(f"{DEV_IDENTITY_SECRET}-")]
        assert secret["metadata"]["labels"].get(DEV_SECRET_LABEL[0]) == DEV_SECRET_LABEL[1]
        assert all(ref == {"name": secret["metadata"]["name"], "key": IDENTITY_KEYS} for ref in refs.values()), refs
        keys = parse_identity_keys(base64.b64decode(secret["data"][IDENTITY_KEYS]).decode())
        assert "dev" in keys.current[0] and b"DEV-ONLY" in keys.current[1], \
            "the dev identity key must say it is a throwaway"
        grant_secret = dev_secret(rendered)["data"][GRANT_KEYS]
        assert base64.b64decode(grant_secret) != base64.b64decode(secret["data"][IDENTITY_KEYS])
    else:
        objects = {service: key_vault_objects(rendered, service).get(IDENTITY_KEYS) for service in DEPLOYMENTS}
        assert set(objects.values()) == {IDENTITY_KEYS_VAULT_OBJECT}, objects
        assert all(not ref["name"].startswith(DEV_SECRET_PREFIX) for ref in refs.values())


def test_prod_settings_are_set(rendered: Rendered) -> None:
    if rendered.env == "dev":
        return
    for service, names in PROD_SETTINGS.items():
        settings = rendered_settings(rendered, service) | {
            n: v.get("value") for n, v in rendered.env_of(service).items()}
        missing = {n for n in names if not settings.get(n)}
        assert not missing, f"prod {service} lacks {sorted(missing)}"
    origins = rendered_settings(rendered, EDGE)["LEAF_GATEWAY_CORS_ORIGINS"].split(",")
    assert all(re.fullmatch(r"https://[^/\s]+", o.strip()) for o in origins), origins


def rendered_settings(rendered: Rendered, service: str) -> dict[str, str]:
    """The service's settings ConfigMaps (envFrom), merged."""
    data = {}
    for source in rendered.container(service).get("envFrom", []):
        name = source["configMapRef"]["name"]
        data |= next(c["data"] for c in rendered.of("ConfigMap") if c["metadata"]["name"] == name)
    return data


@pytest.mark.parametrize("service", DEPLOYMENTS)
def test_every_variable_a_pod_gets_is_read_by_its_service(rendered: Rendered, service: str) -> None:
    """No address, secret or setting for code that does not exist: each is a field of the service's settings."""
    given = set(rendered.env_of(service)) | set(rendered_settings(rendered, service))
    read = set(SETTINGS[role_of(service)].model_fields) | PROCESS_VARIABLES | {IDENTITY_KEYS}
    assert given - read == set(), f"{rendered.env} {service} gets variables no setting of it reads"


@pytest.mark.parametrize("service", DEPLOYMENTS)
def test_every_key_vault_secret_a_pod_mounts_is_read(rendered: Rendered, service: str) -> None:
    """The CSI volume mounts every object of its SecretProviderClass: each must feed a variable read."""
    read = set(key_vault_objects(rendered, service).values())
    for spc in mounted_secret_provider_classes(rendered, service):
        objects = {yaml.safe_load(item)["objectName"]
                   for item in yaml.safe_load(spc["spec"]["parameters"]["objects"])["array"]}
        assert objects <= read, f"{spc['metadata']['name']} mounts {sorted(objects - read)}, read by no setting"


def mounted_secret_provider_classes(rendered: Rendered, service: str) -> list[dict]:
    pod = rendered.get("Deployment", service)["spec"]["template"]["spec"]
    volumes = {v["name"]: v["csi"]["volumeAttributes"]["secretProviderClass"]
               for v in pod["volumes"] if v.get("csi", {}).get("driver") == CSI_DRIVER}
    names = {volumes[m["name"]] for m in rendered.container(service)["volumeMounts"] if m["name"] in volumes}
    return [spc for spc in rendered.of("SecretProviderClass") if spc["metadata"]["name"] in names]


def test_external_https_egress_only_where_needed(rendered: Rendered) -> None:
    reaching = {service for service in DEPLOYMENTS for rule in rules_for(rendered, service, "egress")
                if any("ipBlock" in peer for peer in rule.get("to", []))
                and admits_port(rule, "https", 443)}
    assert reaching == (PROD_EXTERNAL_HTTPS if rendered.env == "prod" else set())


def quantity(value: str) -> float:
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "k": 1e3, "M": 1e6, "G": 1e9}
    number, unit = re.fullmatch(r"([0-9.]+)([A-Za-z]*)", str(value)).groups()
    return float(number) * units.get(unit, 1)


def test_publisher_has_room_for_a_large_workbook(rendered: Rendered) -> None:
    pod = rendered.get("Deployment", "publisher")["spec"]["template"]["spec"]
    container = rendered.container("publisher")
    volumes = {v["name"]: v for v in pod["volumes"]}
    tmp = next(m["name"] for m in container["volumeMounts"] if m["mountPath"] == "/tmp")
    assert quantity(volumes[tmp]["emptyDir"]["sizeLimit"]) >= PUBLISHER_MIN_TMP
    assert quantity(container["resources"]["limits"]["memory"]) >= PUBLISHER_MIN_MEMORY_LIMIT
    assert rendered.env_of("publisher").get("TMPDIR", {"value": "/tmp"})["value"] == "/tmp"


@pytest.mark.parametrize("service", DEPLOYMENTS)
def test_workload_identity_only_where_azure_is_used(rendered: Rendered, service: str) -> None:
    role = role_of(service)
    uses = pod_labels(rendered, service).get(WORKLOAD_IDENTITY_USE)
    client_id = rendered.get("ServiceAccount", role)["metadata"].get(
        "annotations", {}).get(WORKLOAD_IDENTITY_CLIENT)
    if rendered.env == "dev" or not PROD_SECRETS[role]:
        assert uses is None and client_id is None
        return
    assert uses == "true" and client_id
    reading = {spc["spec"]["parameters"]["clientID"] for spc in rendered.of("SecretProviderClass")
               if spc["metadata"]["labels"].get(NAME_LABEL) == role}
    assert reading == {client_id}, "Key Vault must be read with the service's own identity"


def test_each_service_has_its_own_azure_identity(rendered: Rendered) -> None:
    ids = [sa["metadata"].get("annotations", {}).get(WORKLOAD_IDENTITY_CLIENT)
           for sa in rendered.of("ServiceAccount")]
    ids = [i for i in ids if i]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("service", DEPLOYMENTS)
def test_addresses_name_exactly_the_callees_services(rendered: Rendered, service: str) -> None:
    addresses = {n: v["value"] for n, v in rendered.env_of(service).items() if n.endswith("_ADDR")}
    assert set(addresses) == {address_variable(callee) for callee in CALLS[role_of(service)]}
    for name, value in addresses.items():
        host = name.removesuffix("_ADDR").lower()
        assert value == f"{host}:{GRPC_PORT}", f"{service}: {name}={value}"
        rendered.get("Service", host)


@pytest.mark.parametrize("service", DEPLOYMENTS)
def test_environment_and_telemetry_settings(rendered: Rendered, service: str) -> None:
    env = rendered.env_of(service)
    assert env["LEAF_ENV"]["value"] == rendered.env
    assert env["OTEL_SERVICE_NAME"]["value"] == service  # worker-<lane>, as `leaf run` names its trace file
    if service in WORKERS:
        assert "LEAF_GRPC_LISTEN" not in env, "a worker listens on nothing"
    elif service == EDGE:
        assert (env["LEAF_GATEWAY_HOST"]["value"], env["LEAF_GATEWAY_PORT"]["value"]) == (
            "0.0.0.0", str(HTTP_PORT))
    else:
        assert env["LEAF_GRPC_LISTEN"]["value"] == f"0.0.0.0:{GRPC_PORT}"
    if rendered.env == "prod":
        assert env["OTEL_EXPORTER_OTLP_ENDPOINT"]["value"].endswith(":4317")


@pytest.mark.parametrize("service", DEPLOYMENTS)
def test_images_come_from_the_environment_registry(rendered: Rendered, service: str) -> None:
    image = rendered.container(service)["image"]
    built = "tasks" if service in WORKERS else service  # the workers are the tasks service's code and image
    if rendered.env == "dev":
        assert image == f"leaf/{built}:dev", "kind loads locally built leaf/<service>:dev"
        return
    match = re.fullmatch(rf"([a-z0-9.-]+\.[a-z]+)/leaf/{built}(:[\w.-]+|@sha256:[0-9a-f]{{64}})",
                         image)
    assert match, f"prod image {image} must name a registry and a tag or digest"
    assert match.group(2) not in (":latest", ":dev")


# --- the lane workers --------------------------------------------------------------------


@pytest.mark.parametrize("lane", LANES)
def test_each_lane_has_its_worker_deployment(rendered: Rendered, lane: str) -> None:
    name = f"{WORKER}-{lane}"
    deployment = rendered.get("Deployment", name)
    selector = deployment["spec"]["selector"]["matchLabels"]
    assert selector == {NAME_LABEL: WORKER, "leaf.health/lane": lane}
    assert "replicas" not in deployment["spec"], "one by default; KEDA owns the count in prod"
    container = rendered.container(name)
    assert (container["command"], container["args"]) == (["python", "-m", "services.tasks.worker"], ["--lane", lane])
    assert "ports" not in container and not any(container.get(p) for p in ("readinessProbe", "livenessProbe"))
    assert not [s for s in rendered.of("Service") if selects({"matchLabels": s["spec"]["selector"]},
                                                             pod_labels(rendered, name))], "a worker serves nothing"
    assert not [h for h in rendered.of("HorizontalPodAutoscaler") if h["spec"]["scaleTargetRef"]["name"] == name]
    pdb = rendered.get("PodDisruptionBudget", name)["spec"]
    assert pdb["selector"]["matchLabels"] == selector and pdb["maxUnavailable"] == 1


@pytest.mark.parametrize("lane", LANES)
def test_each_lane_scales_on_its_service_bus_queue_in_prod(rendered: Rendered, lane: str) -> None:
    scaled = [s for s in rendered.of("ScaledObject") if s["spec"]["scaleTargetRef"]["name"] == f"{WORKER}-{lane}"]
    if rendered.env == "dev":
        assert not rendered.of("ScaledObject") and not rendered.of("TriggerAuthentication")
        return
    (scaled_object,) = scaled
    (trigger,) = scaled_object["spec"]["triggers"]
    assert trigger["type"] == "azure-servicebus" and trigger["metadata"]["queueName"] == f"leaf.{lane}"
    assert trigger["metadata"]["namespace"] and int(trigger["metadata"]["messageCount"]) >= 1
    auth = rendered.get("TriggerAuthentication", trigger["authenticationRef"]["name"])["spec"]["podIdentity"]
    workers_identity = rendered.get("ServiceAccount", WORKER)["metadata"]["annotations"][WORKLOAD_IDENTITY_CLIENT]
    assert auth == {"provider": "azure-workload", "identityId": workers_identity}
    assert rendered_settings(rendered, f"{WORKER}-{lane}")["LEAF_QUEUE"] == "servicebus"
