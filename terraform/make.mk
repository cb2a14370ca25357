# Terraform: plan/apply/destroy an environment (default ENV=local = the embedded AWS emulator), formatting,
# validation, security lint (checkov) and native module tests. Included by the root Makefile.
.PHONY: plan apply destroy fmt validate tf-lint test-tf tf-init tf-lambda-zips checkov-install

ENV        ?= local
TF_ENV_DIR := terraform/envs/$(ENV)
TF_STATE   := $(abspath $(or $(LAKE_STATE_DIR),.local))/terraform
TF_PLAN    := $(TF_STATE)/$(ENV).tfplan
TF_MODULES := $(sort $(dir $(wildcard terraform/modules/*/main.tf)))
# Offline machines install the AWS provider from the on-disk mirror; others use the public registry.
TF_MIRROR  ?= /opt/tf-plugins
TF         := $(if $(wildcard $(TF_MIRROR)),TF_CLI_CONFIG_FILE=$(abspath terraform/cli.tfrc) ,)terraform
CHECKOV_VENV := $(TF_STATE)/checkov-venv
CHECKOV    := $(CHECKOV_VENV)/bin/checkov
# Remote state for real environments: make plan ENV=dev TF_BACKEND_CONFIG=terraform/envs/dev/backend.hcl
TF_BACKEND_CONFIG ?=

ifeq ($(ENV),local)
# The emulator endpoint goes through the standard SDK setting; dummy keys only when none are configured.
TF_RUN := AWS_ENDPOINT_URL=http://127.0.0.1:$${LAKE_EMULATOR_PORT:-4566} \
	AWS_ACCESS_KEY_ID=$${AWS_ACCESS_KEY_ID:-testing} AWS_SECRET_ACCESS_KEY=$${AWS_SECRET_ACCESS_KEY:-testing} \
	AWS_REGION=$${AWS_REGION:-us-east-1} $(TF)
TF_INIT_ARGS := -backend-config=path=$(TF_STATE)/local.tfstate
else
TF_RUN := $(TF)
TF_INIT_ARGS := $(if $(TF_BACKEND_CONFIG),-backend-config=$(abspath $(TF_BACKEND_CONFIG)),)
endif

tf-init:
	@command -v terraform >/dev/null || { echo "terraform not found: install Terraform >= 1.6 (see terraform/README.md)"; exit 1; }
	@[ -d $(TF_ENV_DIR) ] || { echo "unknown ENV=$(ENV): no $(TF_ENV_DIR)"; exit 1; }
	@mkdir -p $(TF_STATE)
	@$(TF) -chdir=$(TF_ENV_DIR) init -input=false -reconfigure $(TF_INIT_ARGS) >$(TF_STATE)/init-$(ENV).log \
		|| { cat $(TF_STATE)/init-$(ENV).log; exit 1; }

# Lambda packages of the local env (ingestion functions from lambda/functions.json, analytics consumers):
# the areas' own builds when present, else the same builders' source-only output; see the script.
TF_ARTIFACT_VARS := $(TF_STATE)/artifacts.tfvars.json
TF_LOCAL_VARS    = $(if $(filter local,$(ENV)),-var-file=$(TF_ARTIFACT_VARS),)

tf-lambda-zips: setup
	@mkdir -p $(TF_STATE)
	@$(PY) terraform/scripts/lambda_zips.py . $(TF_STATE)/.. >/dev/null

# Terraform deploys terraform/generated/lake.json: `make compile` validates the contracts, jobs.yaml and the
# grant files (errors name the file and field) and regenerates it first.

plan: setup compile tf-init $(if $(filter local,$(ENV)),emulator-start tf-lambda-zips) ## Terraform plan of ENV (default local: starts the emulator)
	$(TF_RUN) -chdir=$(TF_ENV_DIR) plan -input=false -out=$(TF_PLAN) $(TF_LOCAL_VARS)

apply: setup compile tf-init $(if $(filter local,$(ENV)),emulator-start tf-lambda-zips) ## Terraform apply of ENV (local: plan+apply; others: the plan saved by `make plan`)
ifeq ($(ENV),local)
	$(TF_RUN) -chdir=$(TF_ENV_DIR) apply -input=false -auto-approve $(TF_LOCAL_VARS)
else
	@[ -f $(TF_PLAN) ] || { echo "apply: run 'make plan ENV=$(ENV)' first and review it"; exit 1; }
	$(TF_RUN) -chdir=$(TF_ENV_DIR) apply -input=false $(TF_PLAN)
	@rm -f $(TF_PLAN)
endif

destroy: setup tf-init $(if $(filter local,$(ENV)),emulator-start tf-lambda-zips) ## Terraform destroy of ENV (asks for confirmation outside local)
	$(TF_RUN) -chdir=$(TF_ENV_DIR) destroy -input=false $(if $(filter local,$(ENV)),-auto-approve,) $(TF_LOCAL_VARS)

fmt: ## terraform fmt on terraform/ (rewrites files)
	$(TF) fmt -recursive terraform

validate: ## terraform fmt -check and validate every environment and module (no credentials needed)
	$(TF) fmt -check -recursive terraform
	@for d in terraform/envs/* $(TF_MODULES); do \
		echo "validate $$d"; \
		$(TF) -chdir=$$d init -backend=false -input=false >/dev/null || exit 1; \
		$(TF) -chdir=$$d validate -no-color || exit 1; \
	done

$(CHECKOV): $(LOCKS)/checkov.txt $(LOCKS)/build.txt
	@[ -x $(CHECKOV_VENV)/bin/python ] || $(PYTHON_BIN) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python $(PIP_LOCKED) -r $(LOCKS)/build.txt
	$(CHECKOV_VENV)/bin/python $(PIP_LOCKED) -r $(LOCKS)/checkov.txt
	@touch $@

checkov-install: $(CHECKOV) ## Install checkov from requirements/checkov.txt into its own venv (its pins clash with the lake's)

# The composed-environment check (tests/terraform/test_composed_env.py) runs checkov on the plan of envs/dev and prod.
test: $(CHECKOV)

tf-lint: validate $(CHECKOV) ## checkov over terraform/ (zero failed checks; every skip is justified inline)
	$(CHECKOV) -d terraform --framework terraform --quiet --compact --skip-download \
		--config-file terraform/.checkov.yaml

lint: tf-lint

test-tf: ## Native `terraform test` (mock provider) of every module: security invariants
	@for d in $(TF_MODULES); do \
		if ls $$d/tests/*.tftest.hcl >/dev/null 2>&1; then \
			echo "terraform test $$d"; \
			$(TF) -chdir=$$d init -backend=false -input=false >/dev/null || exit 1; \
			$(TF) -chdir=$$d test -no-color || exit 1; \
		fi; \
	done
