"""The composed real-AWS environments (envs/dev, envs/prod) planned offline with their example tfvars.

Each module has its own `terraform test`, but a first `make apply ENV=dev` in a fresh account fails on what
only the composition shows: two modules creating one physical name, an object racing its bucket, Lake
Formation settings racing the catalog, a service role a fresh account does not have. The plan runs against a
local stub answering only STS GetCallerIdentity (the provider's account lookup; every data source here is
computed locally), with placeholder packages, and the checks read the plan JSON and `terraform graph`.
"""

from __future__ import annotations

import http.server
import json
import os
import re
import shutil
import subprocess
import threading
from collections import Counter
from pathlib import Path

import pytest

from .test_terraform import REPO, TF_ROOT, tf, tf_env

pytestmark = [
    pytest.mark.terraform,
    pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform binary not installed"),
]

# The lake's real-AWS roots: envs/dev and every environment sharing its root module (envs/prod links its .tf
# files). envs/bootstrap and envs/github-oidc hold account prerequisites, not the lake.
LAKE_ROOT_MODULE = (TF_ROOT / "envs" / "dev" / "main.tf").resolve()
REAL_ENVS = [p.name for p in sorted((TF_ROOT / "envs").iterdir()) if (p / "main.tf").resolve() == LAKE_ROOT_MODULE]
# Where `make checkov-install` puts checkov (its own venv: its pins clash with the lake's).
CHECKOV = (
    Path(os.environ.get("LAKE_STATE_DIR", REPO / ".local")).resolve() / "terraform" / "checkov-venv" / "bin" / "checkov"
)

# Attributes that together name a resource in AWS (scoped by the parent they name, e.g. a table's database).
NAME_ATTRIBUTES = ("name", "bucket", "function_name", "database_name", "table_name", "key", "role", "log_group_name")
PRIMARY_NAMES = ("name", "bucket", "function_name", "database_name", "table_name")

_IDENTITY = """<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
<GetCallerIdentityResult><Arn>arn:aws:iam::{account}:role/plan</Arn><UserId>AROAPLAN</UserId>
<Account>{account}</Account></GetCallerIdentityResult>
<ResponseMetadata><RequestId>plan</RequestId></ResponseMetadata></GetCallerIdentityResponse>"""


# A Lake Formation admin the account already has (set outside Terraform): the plan must keep it.
EXISTING_LAKE_ADMIN = "arn:aws:iam::{account}:role/break-glass-lake-admin"
# The read-only JSON-protocol calls a plan makes besides the identity, with a documented answer shape.
_JSON_ANSWERS = {
    # Secrets Manager GetRandomPassword (timestream_influxdb's initial admin password): {"RandomPassword": ...}
    "secretsmanager.GetRandomPassword": {"RandomPassword": "PlanOnlyPassword0123456789abcdef"},
}
# REST-JSON calls (by path): Lake Formation GetDataLakeSettings (lake_formation merges the current admins),
# https://docs.aws.amazon.com/lake-formation/latest/APIReference/API_GetDataLakeSettings.html
_PATH_ANSWERS = {
    "/GetDataLakeSettings": lambda account: {
        "DataLakeSettings": {
            "DataLakeAdmins": [{"DataLakePrincipalIdentifier": EXISTING_LAKE_ADMIN.format(account=account)}],
            "CreateDatabaseDefaultPermissions": [],
            "CreateTableDefaultPermissions": [],
        }
    },
}


class _IdentityOnly(http.server.BaseHTTPRequestHandler):
    """Answers sts:GetCallerIdentity (and _JSON_ANSWERS); any other call is a 400 naming it, so a plan needing
    AWS fails loudly."""

    account = "111122223333"  # set to the example tfvars' allowed account before each plan

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        target = self.headers.get("X-Amz-Target", "")
        path = self.path.split("?", 1)[0]
        if target in _JSON_ANSWERS or path in _PATH_ANSWERS:
            answer = _JSON_ANSWERS[target] if target in _JSON_ANSWERS else _PATH_ANSWERS[path](self.account)
            payload = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-amz-json-1.1")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        ok = b"Action=GetCallerIdentity" in body
        payload = (
            _IDENTITY.format(account=self.account).encode()
            if ok
            else b"<Error><Code>NotStubbed</Code><Message>" + body[:200] + b"</Message></Error>"
        )
        self.send_response(200 if ok else 400)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args) -> None:  # keep pytest output quiet
        pass


@pytest.fixture(scope="module")
def identity_stub():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _IdentityOnly)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _mirror_repo(tmp: Path, env_name: str) -> Path:
    """A symlinked view of the repository where envs/<env_name> plans with a local backend.

    The env's own files are linked unchanged; only a `backend_override.tf` (Terraform's override-file
    mechanism) replaces the S3 backend, so `path.root`-relative paths and module sources resolve as in the repo.
    """
    mirror = tmp / "repo"
    (mirror / "terraform" / "envs" / env_name).mkdir(parents=True)
    for entry in REPO.iterdir():
        if entry.name not in {"terraform", ".git", ".local", ".venv"}:
            (mirror / entry.name).symlink_to(entry)
    for entry in TF_ROOT.iterdir():
        if entry.name != "envs":
            (mirror / "terraform" / entry.name).symlink_to(entry)
    env_dir = mirror / "terraform" / "envs" / env_name
    for f in (TF_ROOT / "envs" / env_name).glob("*.tf"):
        (env_dir / f.name).symlink_to(f)
    (env_dir / "backend_override.tf").write_text('terraform {\n  backend "local" {}\n}\n')
    return env_dir


def _placeholder_packages(tmp: Path) -> dict[str, str]:
    """Placeholder build outputs (Lambda zips, Flink zips): the plan only hashes them."""
    zips = tmp / "packages"
    zips.mkdir()
    for function in json.loads((REPO / "lambda" / "functions.json").read_text())["functions"]:
        (zips / f"{function}.zip").write_bytes(b"placeholder")
    for name in ("telemetry-analytics.zip", "stream-consumers.zip"):
        (zips / name).write_bytes(b"placeholder")
    return {
        "lambda_zip_dir": str(zips),
        "flink_application_zip": str(zips / "telemetry-analytics.zip"),
        "flink_consumers_zip": str(zips / "stream-consumers.zip"),
    }


def unknown_of(change: dict) -> dict:
    """Attributes known only after apply (Terraform's after_unknown map)."""
    return change["change"].get("after_unknown") or {}


def with_unknowns_set(after, unknown):
    """``after`` with every value Terraform marks known-after-apply set to a placeholder string."""
    if unknown is True:
        return after if after is not None else "(known after apply)"
    if isinstance(unknown, dict):
        after = dict(after) if isinstance(after, dict) else {}
        return {**after, **{k: with_unknowns_set(after.get(k), u) for k, u in unknown.items() if u}}
    if isinstance(unknown, list) and isinstance(after, list):
        return [with_unknowns_set(a, u) for a, u in zip(after, unknown + [False] * len(after), strict=False)]
    return after


class ComposedPlan:
    def __init__(self, env: str, plan: dict, graph_dot: str, plan_json_path: Path, replan) -> None:
        self.env = env  # the environment directory under terraform/envs
        self.plan = plan
        self.replan = replan  # replan(*extra_args) -> CompletedProcess of the same plan with more arguments
        self.plan_json_path = plan_json_path
        self.changes = [c for c in plan["resource_changes"] if c["mode"] == "managed"]
        self.depends: dict[str, set[str]] = {}
        for src, dst in re.findall(r'^\s*"([^"]+)" -> "([^"]+)"', graph_dot, flags=re.MULTILINE):
            self.depends.setdefault(src, set()).add(dst)

    @staticmethod
    def config_address(change: dict) -> str:
        """The graph's node name of a resource instance: module path + type + name, without instance keys."""
        modules = re.sub(r"\[[^\]]*\]", "", change.get("module_address", ""))
        return ".".join(p for p in (modules, change["type"], change["name"]) if p)

    def ancestors(self, address: str) -> set[str]:
        """Everything `address` waits for (transitive closure of the graph's edges)."""
        seen: set[str] = set()
        todo = [address]
        while todo:
            for dep in self.depends.get(todo.pop(), ()):
                if dep not in seen:
                    seen.add(dep)
                    todo.append(dep)
        return seen

    def of_type(self, *types: str) -> list[dict]:
        return [c for c in self.changes if c["type"] in types]

    def after(self, change: dict) -> dict:
        return change["change"]["after"] or {}


@pytest.fixture(scope="module", params=REAL_ENVS)
def composed(request, identity_stub, tmp_path_factory) -> ComposedPlan:
    env_name = request.param
    tmp = tmp_path_factory.mktemp(f"plan-{env_name}")
    env_dir = _mirror_repo(tmp, env_name)
    env = tf_env(
        {
            "TF_DATA_DIR": str(tmp / ".terraform"),
            "AWS_ENDPOINT_URL": identity_stub,
            "AWS_ACCESS_KEY_ID": "stub",
            "AWS_SECRET_ACCESS_KEY": "stub",
            "AWS_EC2_METADATA_DISABLED": "true",
        }
    )
    proc = tf(["init", "-input=false", "-no-color"], env_dir, env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    var_args = [f"-var={k}={v}" for k, v in _placeholder_packages(tmp).items()]
    example = TF_ROOT / "envs" / env_name / "terraform.tfvars.example"
    allowed = re.search(r'allowed_account_ids\s*=\s*\["(\d{12})"', example.read_text())
    account = allowed.group(1) if allowed else _IdentityOnly.account

    def run(*plan_args: str) -> subprocess.CompletedProcess:
        _IdentityOnly.account = account
        return tf([*plan_args], env_dir, env)

    plan_bin = tmp / "plan.bin"
    args = ["plan", "-input=false", "-no-color", "-refresh=false", f"-var-file={example}", *var_args]
    proc = run(*args, f"-out={plan_bin}")
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr
    shown = tf(["show", "-json", str(plan_bin)], env_dir, env)
    assert shown.returncode == 0, shown.stderr
    graph = tf(["graph"], env_dir, env)
    assert graph.returncode == 0, graph.stderr
    plan_json = tmp / "plan.json"
    plan_json.write_text(shown.stdout)
    composed = ComposedPlan(
        env_name, json.loads(shown.stdout), graph.stdout, plan_json, lambda *extra: tf([*args, *extra], env_dir, env)
    )
    composed.show = lambda plan_file: tf(["show", "-json", str(plan_file)], env_dir, env)  # JSON of another plan
    return composed


def test_physical_names_are_unique_across_modules(composed: ComposedPlan) -> None:
    identities = Counter()
    owners: dict[tuple, list[str]] = {}
    for change in composed.changes:
        after = composed.after(change)
        unknown = change["change"].get("after_unknown") or {}
        if not any(isinstance(after.get(a), str) for a in PRIMARY_NAMES):
            continue  # the type has no name, or AWS generates it
        if any(unknown.get(a) for a in NAME_ATTRIBUTES):
            continue  # the name, or the parent scoping it, is known only after apply
        identity = (change["type"], *((a, after.get(a)) for a in NAME_ATTRIBUTES if isinstance(after.get(a), str)))
        identities[identity] += 1
        owners.setdefault(identity, []).append(change["address"])
    duplicates = {str(i): owners[i] for i, n in identities.items() if n > 1}
    assert not duplicates, f"one physical name created by several resources: {duplicates}"


def test_bucket_subresources_wait_for_their_bucket(composed: ComposedPlan) -> None:
    """Objects, notifications, policies and every other resource naming a bucket depend on that bucket."""
    buckets = {composed.after(b)["bucket"]: composed.config_address(b) for b in composed.of_type("aws_s3_bucket")}
    bucket_nodes = set(buckets.values())
    checked, racing = 0, []
    for change in composed.changes:
        if change["type"] == "aws_s3_bucket" or "bucket" not in composed.after(change) | unknown_of(change):
            continue
        named = composed.after(change).get("bucket")
        if named is not None and named not in buckets:
            continue  # a bucket outside this plan (e.g. a name given by a variable)
        checked += 1
        # A known name must wait for that bucket; a name known only after apply comes from a planned bucket.
        expected = {buckets[named]} if named is not None else bucket_nodes
        if not expected & composed.ancestors(composed.config_address(change)):
            racing.append(f"{change['address']} -> {named or 'a planned bucket'}")
    assert checked > 0
    assert not racing, "resources that name a bucket without depending on it:\n" + "\n".join(sorted(set(racing)))


def test_lake_formation_settings_precede_catalog_and_grants(composed: ComposedPlan) -> None:
    """Whether IAMAllowedPrincipals keeps access to a database is decided by the settings at its creation."""
    settings = {composed.config_address(s) for s in composed.of_type("aws_lakeformation_data_lake_settings")}
    assert len(settings) == 1, settings
    governed = composed.of_type(
        "aws_glue_catalog_database",
        "aws_glue_catalog_table",
        "aws_glue_crawler",
        "aws_lakeformation_permissions",
        "aws_lakeformation_resource",
        "aws_lakeformation_lf_tag",
        "aws_lakeformation_resource_lf_tags",
        "aws_lakeformation_data_cells_filter",
    )
    assert governed
    unordered = sorted(
        {composed.config_address(c) for c in governed if not settings <= composed.ancestors(composed.config_address(c))}
    )
    assert not unordered, "created without waiting for the Lake Formation settings:\n" + "\n".join(unordered)


# Account-wide roles a service looks up by name when one of its resources is created: without them the first
# apply in a fresh account fails. AWS contract: "Creating the IAM roles to use with AWS DMS",
# https://docs.aws.amazon.com/dms/latest/userguide/security-iam.html#CHAP_Security.APIRole
SERVICE_ROLES_AT_CREATE = {
    "aws_dms_replication_subnet_group": ("dms-vpc-role", "AmazonDMSVPCManagementRole"),
    "aws_dms_replication_task": ("dms-cloudwatch-logs-role", "AmazonDMSCloudWatchLogsRole"),
}


def test_service_roles_exist_before_the_resources_needing_them(composed: ComposedPlan) -> None:
    """Each such role is created (with its managed policy) before the resource, or looked up by the plan."""
    attachments = {
        composed.after(a).get("policy_arn", "").rsplit("/", 1)[-1]: composed.config_address(a)
        for a in composed.of_type("aws_iam_role_policy_attachment")
    }
    created_roles = {composed.after(r).get("name") for r in composed.of_type("aws_iam_role")}
    checked, missing = 0, []
    for resource_type, (role, policy) in SERVICE_ROLES_AT_CREATE.items():
        for change in composed.of_type(resource_type):
            checked += 1
            waits_for = composed.ancestors(composed.config_address(change))
            created_first = role in created_roles and attachments.get(policy) in waits_for
            looked_up = any(".data.aws_iam_role." in a for a in waits_for)  # a plan-time lookup by name
            if not (created_first or looked_up):
                missing.append(f"{change['address']} needs {role} ({policy}) created or looked up before it")
    assert checked > 0
    assert not missing, "\n".join(missing)


def run_checkov(plan_json_path: Path, *, inline_skips: bool = True) -> tuple[list[dict], subprocess.CompletedProcess]:
    """checkov's JSON reports on a plan; ``inline_skips=False`` leaves out the source enrichment that applies the
    code's #checkov:skip comments, so every check that fires is reported as failed."""
    plan = json.loads(plan_json_path.read_text())
    unknowns = {c["address"]: unknown_of(c) for c in plan["resource_changes"]}
    modules = [plan["planned_values"]["root_module"]]
    while modules:  # checkov reads the planned values, module by module
        module = modules.pop()
        modules.extend(module.get("child_modules", []))
        for resource in module.get("resources", []):
            resource["values"] = with_unknowns_set(resource.get("values"), unknowns.get(resource["address"], {}))
    checked_plan = plan_json_path.with_name(plan_json_path.stem + "-for-checkov.json")
    checked_plan.write_text(json.dumps(plan))
    proc = subprocess.run(
        [
            str(CHECKOV),
            *("-f", str(checked_plan), "--framework", "terraform_plan"),
            *(("--repo-root-for-plan-enrichment", str(REPO)) if inline_skips else ()),
            *("--config-file", str(TF_ROOT / ".checkov.yaml")),
            *("--skip-download", "--quiet", "--compact", "-o", "json"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    reports = json.loads(proc.stdout or "[]")
    return (reports if isinstance(reports, list) else [reports]), proc


@pytest.mark.skipif(not CHECKOV.exists(), reason="checkov not installed: run `make checkov-install`")
def test_checkov_passes_on_the_plan_of_the_example_tfvars(composed: ComposedPlan) -> None:
    """checkov on the plan (instances expanded, example values in place) with the inline skips of the code.

    An attribute known only after apply (e.g. the lake key's ARN passed into a module) counts as set, at any
    depth of nested blocks (checkov's own EVAL_TF_PLAN_AFTER_UNKNOWN reaches only the first level). No
    --deep-analysis: it drops inline skips (checkov issue #7643).
    """
    reports, proc = run_checkov(composed.plan_json_path)
    failed = [
        f"{f['check_id']} {f['resource']}: {f['check_name']}" for r in reports for f in r["results"]["failed_checks"]
    ]
    assert reports and reports[0]["summary"]["resource_count"] > 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert not failed, "checkov failed checks on the plan:\n" + "\n".join(failed)


def test_lake_formation_only_mode_grants_the_etl_role_what_it_needs(composed: ComposedPlan) -> None:
    """No IAMAllowedPrincipals defaults, so the Glue role (jobs, crawlers) needs explicit LF grants.

    AWS contract: "Changing the default settings for your data lake",
    https://docs.aws.amazon.com/lake-formation/latest/dg/change-settings.html
    """
    (settings,) = composed.of_type("aws_lakeformation_data_lake_settings")
    defaults = [
        p["principal"]
        for block in ("create_database_default_permissions", "create_table_default_permissions")
        for p in composed.after(settings).get(block) or []
    ]
    assert "IAM_ALLOWED_PRINCIPALS" not in defaults, "envs choose Lake Formation only: no IAMAllowedPrincipals"
    grants = [composed.after(g) for g in composed.of_type("aws_lakeformation_permissions")]
    databases = {composed.after(d)["name"] for d in composed.of_type("aws_glue_catalog_database")}
    can_create = {g["database"][0]["name"] for g in grants if "CREATE_TABLE" in g["permissions"] and g.get("database")}
    can_write = {
        t["database_name"]
        for g in grants
        if {"SELECT", "INSERT", "ALTER"} <= set(g["permissions"])
        for t in g.get("table") or []
        if t.get("wildcard")
    }
    assert databases and databases <= can_create, f"no CREATE_TABLE grant on {sorted(databases - can_create)}"
    assert databases <= can_write, f"no table grant on {sorted(databases - can_write)}"
    locations = composed.of_type("aws_lakeformation_resource")
    location_grants = [g for g in grants if g["permissions"] == ["DATA_LOCATION_ACCESS"]]
    assert locations and len(location_grants) >= len(locations), "every registered location needs DATA_LOCATION_ACCESS"


def test_eventbridge_dead_letter_queues_accept_eventbridge(composed: ComposedPlan) -> None:
    """A queue named as a rule target's DLQ has a queue policy (EventBridge cannot send without one).

    AWS contract: "Using dead-letter queues to process undelivered events in EventBridge",
    https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html
    """
    queues = {composed.config_address(q) for q in composed.of_type("aws_sqs_queue")}
    policies = [composed.config_address(p) for p in composed.of_type("aws_sqs_queue_policy")]
    targets = [
        t for t in composed.of_type("aws_cloudwatch_event_target") if composed.after(t).get("dead_letter_config")
    ]
    assert targets
    missing = []
    for target in targets:
        dlqs = queues & composed.ancestors(composed.config_address(target))
        if not any(dlqs & composed.ancestors(p) for p in policies):
            missing.append(f"{target['address']}: no aws_sqs_queue_policy on {sorted(dlqs)}")
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (["-var=enable_grafana=true"], "enable_grafana = true needs IAM Identity Center"),
        (["-var=enable_forecast_endpoint=true"], "enable_forecast_endpoint = true needs the trained model"),
    ],
    ids=["grafana-without-identity-center", "forecast-without-model"],
)
def test_services_without_their_prerequisites_stop_the_plan_saying_what_to_do(
    composed: ComposedPlan, flags: list[str], expected: str
) -> None:
    if composed.env != "dev":
        # The gates are preconditions of the one root module the environments share; the flags override tfvars.
        pytest.skip("checked once, on envs/dev: the same root module and variables")
    proc = composed.replan(*flags)
    message = " ".join((proc.stdout + proc.stderr).split())
    assert proc.returncode != 0 and expected in message, message[-3000:]


def test_new_accounts_get_the_influxdb_hot_path_and_no_liveanalytics(composed: ComposedPlan) -> None:
    """With the example tfvars the telemetry hot path is Timestream for InfluxDB, fed by the writer from both
    telemetry streams; nothing creates a Timestream for LiveAnalytics database (closed to new customers since
    2025-06-20: https://docs.aws.amazon.com/timestream/latest/developerguide/AmazonTimestreamForLiveAnalytics-availability-change.html),
    and managed_flink never creates a time-series store of its own."""
    assert not composed.of_type("aws_timestreamwrite_database", "aws_timestreamwrite_table")
    instances = composed.of_type("aws_timestreaminfluxdb_db_instance")
    assert len(instances) == 1 and composed.after(instances[0])["publicly_accessible"] is False
    streams = {
        composed.config_address(s)
        for s in composed.of_type("aws_kinesis_stream")
        if composed.after(s)["name"].endswith(("-telemetry-windfarm", "-telemetry-devices"))
    }
    mappings = [
        m
        for m in composed.of_type("aws_lambda_event_source_mapping")
        if m.get("module_address", "").startswith("module.timeseries")
    ]
    assert len(mappings) == 2 and all(
        composed.after(m)["function_response_types"] == ["ReportBatchItemFailures"] for m in mappings
    )
    assert all(streams & composed.ancestors(composed.config_address(m)) for m in mappings)
    flink = [c for c in composed.changes if c.get("module_address", "").startswith("module.analytics_streaming")]
    assert flink and not [c["address"] for c in flink if c["type"].startswith("aws_timestream")]


def test_the_alerts_consumer_writes_to_the_influxdb_instance(composed: ComposedPlan) -> None:
    """The Flink alerts reach InfluxDB too (the operations dashboard's alert panels): the consumer gets the
    instance's URL and secret, runs in the VPC with a group the instance admits on its port, and may read only
    that secret."""
    consumer = next(
        c
        for c in composed.of_type("aws_lambda_function")
        if c.get("module_address") == "module.analytics_streaming" and c["index"] == "alerts"
    )
    # The module's own test checks the variables it sets from var.influxdb; here: the env passes the instance's.
    influxdb = composed.plan["configuration"]["root_module"]["module_calls"]["analytics_streaming"]["expressions"]
    references = set(influxdb["influxdb"]["references"])
    assert {"module.timeseries.endpoint_url", "module.timeseries.auth_secret_arn"} <= references, references
    after = with_unknowns_set(composed.after(consumer), unknown_of(consumer))
    assert after["vpc_config"] and after["vpc_config"][0]["subnet_ids"]
    address = composed.config_address(consumer)
    assert "module.timeseries.aws_timestreaminfluxdb_db_instance.this" in composed.ancestors(address)
    vpc_policy = "module.analytics_streaming.module.consumer_role.aws_iam_role_policy_attachment.this"
    assert vpc_policy in composed.ancestors(address)
    ingress = "module.timeseries.aws_vpc_security_group_ingress_rule.from_clients"
    assert "module.analytics_streaming.module.alerts_client.aws_security_group.this" in composed.ancestors(ingress)
    ingress_rules = composed.of_type("aws_vpc_security_group_ingress_rule")
    rules = [r for r in ingress_rules if composed.config_address(r) == ingress]
    grafana = [
        g for g in composed.of_type("aws_security_group") if g.get("module_address", "").startswith("module.dashboards")
    ]
    assert len(rules) == 1 + len(grafana)  # the alerts consumer's group, and the dashboards' when planned


def test_every_influxdb_client_group_calls_the_instance_port(composed: ComposedPlan) -> None:
    """Each client's group (influxdb_client_sg: the writer, the alerts consumer, Grafana when planned) may call
    the instance's group on the port the instance listens on: the port comes from timestream_influxdb's output,
    which the modules' own tests (mocked inputs) cannot see the env pass."""
    (instance,) = composed.of_type("aws_timestreaminfluxdb_db_instance")
    port = composed.after(instance)["port"]
    instance_group = "module.timeseries.aws_security_group.influxdb"
    clients = [
        r
        for r in composed.of_type("aws_vpc_security_group_egress_rule")
        if composed.config_address(r).endswith(".aws_vpc_security_group_egress_rule.to_influxdb")
    ]
    grafana = [
        g for g in composed.of_type("aws_security_group") if g.get("module_address", "").startswith("module.dashboards")
    ]
    assert len(clients) == 2 + len(grafana), [c["address"] for c in clients]  # writer, alerts consumer (+ Grafana)
    wrong = [
        c["address"]
        for c in clients
        if (composed.after(c)["from_port"], composed.after(c)["to_port"]) != (port, port)
        or instance_group not in composed.ancestors(composed.config_address(c))
    ]
    assert not wrong, f"client groups not calling the instance's group on its port {port}: {wrong}"


def test_lake_formation_admins_are_merged_not_replaced(composed: ComposedPlan) -> None:
    """PutDataLakeSettings replaces the admin list, so the plan keeps the account's current admins (read with
    the aws_lakeformation_data_lake_settings data source) beside the example tfvars' lake_admin_arns.

    AWS contract: "PutDataLakeSettings",
    https://docs.aws.amazon.com/lake-formation/latest/APIReference/API_PutDataLakeSettings.html
    """
    example = (TF_ROOT / "envs" / composed.env / "terraform.tfvars.example").read_text()
    configured = re.findall(r'"(arn:[^"]+)"', re.search(r"lake_admin_arns\s*=\s*\[([^\]]*)\]", example).group(1))
    (settings,) = composed.of_type("aws_lakeformation_data_lake_settings")
    account = re.search(r'allowed_account_ids\s*=\s*\["(\d{12})"', example).group(1)
    admins = set(composed.after(settings)["admins"])
    assert EXISTING_LAKE_ADMIN.format(account=account) in admins, "an admin set outside Terraform would be dropped"
    assert set(configured) <= admins


# ---- No principal reads lake data outside Lake Formation ------------------------------------------------------

DIRECT_S3_READERS = TF_ROOT / "direct_s3_readers.yaml"
PROTECTED_ZONES = ("raw", "transform", "curated")
S3_READ = "s3:getobject"
# Every optional service on, so its roles are checked too (the prerequisites are satisfied for the mock).
ALL_SERVICES_ON = {
    "enable_grafana": "true",
    "identity_center_enabled": "true",
    "enable_forecast_endpoint": "true",
    "forecast_model_data_s3_uri": "s3://mocked/model.tar.gz",
    "enable_timestream_live_analytics": "true",
}
_MOCKS = {  # resource type -> computed attributes the provider validates as ARNs/ids when others reference them
    "aws_iam_role": {"arn": "arn:aws:iam::111122223333:role/mocked"},
    "aws_kms_key": {"arn": "arn:aws:kms:us-east-1:111122223333:key/mocked"},
    "aws_sqs_queue": {
        "arn": "arn:aws:sqs:us-east-1:111122223333:mocked",
        "url": "https://sqs.us-east-1.amazonaws.com/111122223333/mocked",
    },
    "aws_sns_topic": {"arn": "arn:aws:sns:us-east-1:111122223333:mocked"},
    "aws_kinesis_stream": {"arn": "arn:aws:kinesis:us-east-1:111122223333:stream/mocked"},
    "aws_security_group": {"id": "sg-0mocked"},
    "aws_cloudwatch_log_group": {"arn": "arn:aws:logs:us-east-1:111122223333:log-group:mocked"},
    "aws_cloudwatch_log_stream": {"arn": "arn:aws:logs:us-east-1:111122223333:log-group:mocked:log-stream:mocked"},
    "aws_lambda_function": {"arn": "arn:aws:lambda:us-east-1:111122223333:function:mocked"},
    "aws_cloudwatch_event_rule": {"arn": "arn:aws:events:us-east-1:111122223333:rule/mocked"},
    "aws_secretsmanager_secret": {"arn": "arn:aws:secretsmanager:us-east-1:111122223333:secret:mocked"},
    "aws_wafv2_web_acl": {
        "arn": "arn:aws:wafv2:us-east-1:111122223333:regional/webacl/partner/0f0f0f0f-0000-4000-8000-000000000000"
    },
    "aws_api_gateway_stage": {"arn": "arn:aws:apigateway:us-east-1::/restapis/abc123/stages/v1"},
    "aws_dms_replication_instance": {"replication_instance_arn": "arn:aws:dms:us-east-1:111122223333:rep:mocked"},
    "aws_dms_endpoint": {"endpoint_arn": "arn:aws:dms:us-east-1:111122223333:endpoint:source"},
    "aws_dms_s3_endpoint": {"endpoint_arn": "arn:aws:dms:us-east-1:111122223333:endpoint:target"},
    "aws_timestreamwrite_table": {"arn": "arn:aws:timestream:us-east-1:111122223333:database/mocked/table/mocked"},
    "aws_timestreaminfluxdb_db_instance": {
        "influx_auth_parameters_secret_arn": "arn:aws:secretsmanager:us-east-1:111122223333:secret:influx",
        "endpoint": "mocked.timestream-influxdb.amazonaws.com",
    },
    "aws_s3_bucket": {"arn": "arn:aws:s3:::mocked-bucket"},
    "aws_grafana_workspace": {"id": "g-mocked"},
}
MOCKED_DOCUMENT_SID = "MockedPolicyDocument"
DEPLOYER = "arn:aws:iam::111122223333:role/deployer"


def _mock_test_file(bucket_names: dict[str, str]) -> str:
    """A `terraform test` file applying envs/dev with a mocked provider: every value is known afterwards."""

    def hcl(values: dict[str, str]) -> str:
        return "{ " + ", ".join(f"{k} = {json.dumps(v)}" for k, v in values.items()) + " }"

    document = json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Sid": MOCKED_DOCUMENT_SID, "Effect": "Allow", "Action": "none:None"}]}
    )

    def block(kind: str, type_: str, values: dict[str, str]) -> str:
        return f'{kind} "{type_}" {{\n    defaults = {hcl(values)}\n  }}'

    blocks = [
        block("mock_data", "aws_caller_identity", {"account_id": "111122223333", "arn": DEPLOYER}),
        block("mock_data", "aws_partition", {"partition": "aws", "dns_suffix": "amazonaws.com"}),
        block("mock_data", "aws_region", {"name": "us-east-1"}),
        block("mock_data", "aws_iam_policy_document", {"json": document}),
        *(block("mock_resource", t, v) for t, v in _MOCKS.items()),
    ]
    overrides = [
        f'override_resource {{\n  target = module.storage.aws_s3_bucket.this["{zone}"]\n'
        f'  values = {{ arn = "arn:aws:s3:::{name}" }}\n}}'
        for zone, name in bucket_names.items()
    ]
    variables = "\n".join(
        f"    {k} = {json.dumps(v) if v not in ('true', 'false') else v}" for k, v in ALL_SERVICES_ON.items()
    )
    return (
        'mock_provider "aws" {\n  '
        + "\n  ".join(blocks)
        + "\n}\n\n"
        + "\n\n".join(overrides)
        + f'\n\nrun "composed" {{\n  command = apply\n  variables {{\n{variables}\n  }}\n}}\n'
    )


def _config_resources(plan: dict) -> dict[tuple[str, str], dict]:
    """(module call name, resource config address) -> its configuration (expressions with references)."""
    out = {}
    for call, spec in plan["configuration"]["root_module"].get("module_calls", {}).items():
        for resource in spec["module"].get("resources", []):
            out[(call, resource["address"])] = resource
    return out


def _statements_of(policy: str | dict | None) -> list[dict]:
    doc = json.loads(policy) if isinstance(policy, str) else (policy or {})
    statements = doc.get("Statement", [])
    return [statements] if isinstance(statements, dict) else statements


def _as_list(value) -> list[str]:
    return [] if value is None else [value] if isinstance(value, str) else list(value)


def s3_reads(statements: list[dict], buckets: dict[str, str]) -> set[str]:
    """'<zone>/<key pattern>' of the protected buckets that Allow statements let someone GetObject from."""
    import fnmatch

    granted = set()
    for s in statements:
        effect = s.get("Effect", s.get("effect")) or "Allow"  # a policy document statement defaults to Allow
        actions = [a.lower() for a in _as_list(s.get("Action", s.get("actions")))]
        not_actions = [a.lower() for a in _as_list(s.get("NotAction", s.get("not_actions")))]
        if effect != "Allow":
            continue
        reads = any(fnmatch.fnmatchcase(S3_READ, a) for a in actions) or (
            not_actions and not any(fnmatch.fnmatchcase(S3_READ, a) for a in not_actions)
        )
        if not reads:
            continue
        resources = _as_list(s.get("Resource", s.get("resources"))) or ["*"]
        for resource in resources:
            for zone, bucket in buckets.items():
                if resource in ("*", "arn:aws:s3:::*", "arn:aws:s3:::*/*"):
                    granted.add(f"{zone}/*")
                elif resource.startswith(f"arn:aws:s3:::{bucket}/"):
                    granted.add(f"{zone}/{resource.split('/', 1)[1]}")
                elif "*" in resource and fnmatch.fnmatchcase(f"arn:aws:s3:::{bucket}/x", resource):
                    granted.add(f"{zone}/*")
    return granted


_POLICY_ADDRESS = re.compile(r"^module\.(\w+)\.(?:module\.(\w+)(\[[^\]]*\])?\.)?(\w+)\.(\w+)(\[.*\])?$")


def _policy_source(resource: dict, plan: dict, config: dict) -> tuple[str, str, list[str]]:
    """(module call, instance key, references) of the expression that gave a policy resource its document: its
    own `policy`, or, for a service_role the module calls, the call's `inline_policies` (the key is then the
    service_role instance's, which is the document's when both iterate over the same keys)."""
    call, child, child_key, rtype, rname, key = _POLICY_ADDRESS.match(resource["address"]).groups()
    if child is None:
        return call, key or "", config[(call, f"{rtype}.{rname}")]["expressions"]["policy"]["references"]
    child_call = plan["configuration"]["root_module"]["module_calls"][call]["module"]["module_calls"][child]
    return call, child_key or "", child_call["expressions"]["inline_policies"]["references"]


def test_policy_source_follows_a_document_into_service_role() -> None:
    refs = ["data.aws_iam_policy_document.consumer", "each.key"]
    role_call = {"expressions": {"inline_policies": {"references": refs}}}
    calls = {"analytics": {"module": {"module_calls": {"consumer_role": role_call}}}}
    plan = {"configuration": {"root_module": {"module_calls": calls}}}
    nested = {"address": 'module.analytics.module.consumer_role["alerts"].aws_iam_role_policy.this["consume-alerts"]'}
    assert _policy_source(nested, plan, {}) == ("analytics", '["alerts"]', refs)
    own = {"address": "module.forecast.aws_iam_role_policy.sagemaker[0]"}
    config = {("forecast", "aws_iam_role_policy.sagemaker"): {"expressions": {"policy": {"references": ["x"]}}}}
    assert _policy_source(own, {}, config) == ("forecast", "[0]", ["x"])


def direct_readers(state: dict, plan: dict, buckets: dict[str, str]) -> dict[str, set[str]]:
    """Policy address -> protected object patterns it lets its principal read, from the mocked apply's state."""

    def walk(module: dict):
        yield from module.get("resources", [])
        for child in module.get("child_modules", []):
            yield from walk(child)

    resources = list(walk(state["root_module"]))
    by_address = {r["address"]: r for r in resources}
    config = _config_resources(plan)
    readers: dict[str, set[str]] = {}
    for r in resources:
        if r["mode"] != "managed":
            continue
        if r["type"] in ("aws_iam_role_policy", "aws_iam_policy"):
            statements = _statements_of(r["values"]["policy"])
            if any(s.get("Sid") == MOCKED_DOCUMENT_SID for s in statements):
                # Rendered by an aws_iam_policy_document: read its statements (configured, so in the state).
                call, key, refs = _policy_source(r, plan, config)
                (doc,) = {ref.split("[")[0].removesuffix(".json") for ref in refs if ref.startswith("data.")}
                data = by_address.get(f"module.{call}.{doc}{key}") or by_address[f"module.{call}.{doc}"]
                statements = data["values"]["statement"]
            granted = s3_reads(statements, buckets)
        elif r["type"] == "aws_s3_bucket_policy":
            granted = s3_reads(_statements_of(r["values"]["policy"]), buckets)
        elif r["type"] == "aws_iam_role_policy_attachment":
            broad = ("AmazonS3ReadOnlyAccess", "AmazonS3FullAccess", "AdministratorAccess", "PowerUserAccess")
            granted = {f"{z}/*" for z in buckets} if r["values"]["policy_arn"].endswith(broad) else set()
        else:
            continue
        if granted:
            readers[r["address"]] = granted
    return readers


@pytest.fixture(scope="module")
def mocked_apply_state(composed: ComposedPlan, tmp_path_factory) -> dict:
    """The state of envs/dev applied with a mocked provider (`terraform test -json -verbose`), all services on."""
    if composed.env != "dev":
        pytest.skip("checked once, on envs/dev: the same root module (prod differs only in tfvars)")
    tmp = tmp_path_factory.mktemp(f"mocked-{composed.env}")
    env_dir = _mirror_repo(tmp, composed.env)
    buckets = {
        b["index"]: composed.after(b)["bucket"]
        for b in composed.of_type("aws_s3_bucket")
        if b["address"].startswith("module.storage.aws_s3_bucket.this[")
    }
    (env_dir / "tests").mkdir()
    (env_dir / "tests" / "direct_reads.tftest.hcl").write_text(_mock_test_file(buckets))
    env = tf_env({"TF_DATA_DIR": str(tmp / ".terraform")})
    proc = tf(["init", "-input=false", "-no-color"], env_dir, env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    var_args = [f"-var={k}={v}" for k, v in _placeholder_packages(tmp).items()]
    example = TF_ROOT / "envs" / composed.env / "terraform.tfvars.example"
    proc = tf(["test", "-no-color", "-json", "-verbose", f"-var-file={example}", *var_args], env_dir, env, timeout=900)
    states = [json.loads(line)["test_state"] for line in proc.stdout.splitlines() if '"test_state"' in line]
    errors = [line[:600] for line in proc.stdout.splitlines() if '"@level":"error"' in line]
    assert proc.returncode == 0 and states, "\n".join(errors[:10]) + proc.stderr[-2000:]
    return {"state": states[-1], "buckets": buckets}


def test_s3_read_detection_sees_wildcards_and_ignores_denies() -> None:
    buckets = {"raw": "lake-raw", "curated": "lake-curated"}
    persona_with_s3_star = [{"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::lake-curated/*"}]
    assert s3_reads(persona_with_s3_star, buckets) == {"curated/*"}
    assert s3_reads([{"Effect": "Allow", "Action": ["s3:Get*"], "Resource": "*"}], buckets) == {"raw/*", "curated/*"}
    assert s3_reads([{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}], buckets) == set()
    assert s3_reads([{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}], buckets) == set()
    document = [{"actions": ["s3:GetObject"], "resources": ["arn:aws:s3:::lake-raw/partner/*"], "effect": None}]
    assert s3_reads(document, buckets) == {"raw/partner/*"}


def test_no_principal_reads_lake_data_outside_lake_formation(composed: ComposedPlan, mocked_apply_state) -> None:
    """Every IAM or bucket-policy statement letting a principal read raw/transform/curated objects belongs to a
    pipeline role listed, with the exact object patterns and a reason, in terraform/direct_s3_readers.yaml;
    personas and dashboards reach lake data only through Lake Formation."""
    if composed.env != "dev":
        pytest.skip("checked once, on envs/dev: the same root module (prod differs only in tfvars)")
    import yaml

    allowed = yaml.safe_load(DIRECT_S3_READERS.read_text())["readers"]
    assert all(spec.get("reason", "").strip() for spec in allowed.values()), "every allowed reader needs a reason"
    buckets = {z: n for z, n in mocked_apply_state["buckets"].items() if z in PROTECTED_ZONES}
    found = direct_readers(mocked_apply_state["state"], composed.plan, buckets)
    unexpected = {a: sorted(g) for a, g in found.items() if g != set(allowed.get(a, {}).get("objects", []))}
    assert not unexpected, (
        "S3 reads of lake data outside Lake Formation, not (exactly) in direct_s3_readers.yaml:\n"
        + ("\n".join(f"  {a}: {g} (allowed: {allowed.get(a, {}).get('objects')})" for a, g in unexpected.items()))
    )
    stale = sorted(set(allowed) - set(found))
    assert not stale, f"direct_s3_readers.yaml lists readers that no longer read lake data: {stale}"


# ---- checkov: no dead skips --------------------------------------------------------------------------------

_RESOURCE = re.compile(r'^resource\s+"([\w-]+)"\s+"([\w-]+)"\s*\{')
_SKIP = re.compile(r"^\s*#\s*checkov:skip=([A-Z0-9_]+):?(.*)$")


def inline_skips(root: Path = TF_ROOT) -> list[tuple[Path, str, str, str]]:
    """(directory, resource type.name, check id, reason) of every #checkov:skip in the Terraform code."""
    skips = []
    for tf_file in sorted(root.rglob("*.tf")):
        if ".terraform" in tf_file.parts or "tests" in tf_file.relative_to(root).parts or tf_file.is_symlink():
            continue
        resource = None
        for line in tf_file.read_text().splitlines():
            if match := _RESOURCE.match(line):
                resource = f"{match.group(1)}.{match.group(2)}"
            elif (match := _SKIP.match(line)) and resource:
                skips.append((tf_file.parent, resource, match.group(1), match.group(2).strip()))
    return skips


def dead_skips(skips, failed: set[tuple[str, str]], module_dirs: dict[Path, list[str]]):
    """The skips whose check fires on none of the resource's instances; and the skips the plan cannot judge."""
    dead, unjudged = [], []
    for directory, resource, check, reason in skips:
        prefixes = module_dirs.get(directory.resolve())
        if prefixes is None:
            unjudged.append((directory, resource, check))
            continue
        if not any((check, f"{p}{resource}") in failed for p in prefixes):
            dead.append(f"{directory.relative_to(TF_ROOT)}: {resource} skips {check} ({reason[:80]})")
    return dead, unjudged


def module_dirs_of(configuration: dict, root_dir: Path) -> dict[Path, list[str]]:
    """Directory of every module the plan's configuration calls, nested calls included -> the address prefixes
    of its instances in checkov's results (instance keys left out, as in ``failed``)."""
    dirs: dict[Path, list[str]] = {root_dir.resolve(): [""]}
    todo = [(configuration["root_module"], root_dir.resolve(), "")]
    while todo:
        module, directory, prefix = todo.pop()
        for call, spec in module.get("module_calls", {}).items():
            child_dir, child_prefix = (directory / spec["source"]).resolve(), f"{prefix}module.{call}."
            dirs.setdefault(child_dir, []).append(child_prefix)
            todo.append((spec.get("module", {}), child_dir, child_prefix))
    return dirs


def test_module_dirs_include_nested_module_calls() -> None:
    """A skip in a module that another module calls (influxdb_client_sg) is judged too, on every instance."""
    env_dir = TF_ROOT / "envs" / "dev"
    client = {"source": "../influxdb_client_sg", "module": {}}
    configuration = {
        "root_module": {
            "module_calls": {
                "timeseries": {
                    "source": "../../modules/timestream_influxdb",
                    "module": {"module_calls": {"writer_client": client}},
                },
                "dashboards": {
                    "source": "../../modules/managed_grafana",
                    "module": {"module_calls": {"grafana_client": client}},
                },
            }
        }
    }
    dirs = module_dirs_of(configuration, env_dir)
    assert sorted(dirs[(TF_ROOT / "modules" / "influxdb_client_sg").resolve()]) == [
        "module.dashboards.module.grafana_client.",
        "module.timeseries.module.writer_client.",
    ]
    assert dirs[(TF_ROOT / "modules" / "timestream_influxdb").resolve()] == ["module.timeseries."]


def test_dead_skip_detection_flags_a_skip_whose_check_never_fires() -> None:
    module = (TF_ROOT / "modules" / "glue").resolve()
    skips = [(module, "aws_s3_bucket.a", "CKV_AWS_1", "fires"), (module, "aws_s3_bucket.a", "CKV_AWS_2", "never")]
    failed = {("CKV_AWS_1", "module.glue.aws_s3_bucket.a")}
    dead, _ = dead_skips(skips, failed, {module: ["module.glue."]})
    assert dead == ["modules/glue: aws_s3_bucket.a skips CKV_AWS_2 (never)"]


@pytest.mark.skipif(not CHECKOV.exists(), reason="checkov not installed: run `make checkov-install`")
def test_every_checkov_skip_suppresses_a_check_that_fires(composed: ComposedPlan, tmp_path) -> None:
    """Each inline #checkov:skip in a module envs/dev uses must suppress a check that fails without it, on the
    plan of the example tfvars with every optional service on (so gated resources are planned too): checkov
    runs without the source enrichment that applies the skips, and every skip must match a failure."""
    if composed.env != "dev":
        pytest.skip("checked once, on envs/dev: the same root module (prod differs only in tfvars)")
    plan_file = tmp_path / "all-services.bin"
    flags = [f"-var={k}={v}" for k, v in ALL_SERVICES_ON.items()]
    proc = composed.replan(*flags, f"-out={plan_file}")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
    plan_json = tmp_path / "all-services.json"
    plan_json.write_text(composed.show(plan_file).stdout)
    reports, proc = run_checkov(plan_json, inline_skips=False)
    assert reports and reports[0]["summary"]["resource_count"] > 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    failed = {
        (f["check_id"], re.sub(r"\[[^\]]*\]", "", f["resource"]))
        for r in reports
        for f in r["results"]["failed_checks"]
    }
    module_dirs = module_dirs_of(composed.plan["configuration"], TF_ROOT / "envs" / composed.env)
    dead, _unjudged = dead_skips(inline_skips(), failed, module_dirs)
    assert not dead, "checkov skips that suppress nothing on the plan (remove them):\n" + "\n".join(dead)
