# Lake Formation grants as data: validation, effective access and governance checks.
# Included by the root Makefile; uses $(PY) from there.

.PHONY: validate-grants effective-access test-governance audit-governance

validate-grants: setup ## Validate lakeformation/*.yaml against the dataset contracts (fails naming file and field)
	@$(PY) -m lakectl validate-grants

effective-access: setup ## Show what each persona can read (columns withheld, row filters)
	@$(PY) -m lakectl effective-access $(PERSONA)

test-governance: setup ## Governance tests: grant validation, LF-TBAC evaluation, persona reads, local Athena, policy checks
	$(PY) -m pytest tests/governance -m "not slow" $(PYTEST_ARGS)

# POLICY_JSON: policy documents or `terraform show -json` outputs to check (optional).
audit-governance: setup ## Grants valid + governance tests + least-privilege check of POLICY_JSON files
	@$(PY) -m lakectl validate-grants
	@set -o pipefail; $(PY) -m pytest tests/governance -q -m "not slow" -p no:warnings $(PYTEST_ARGS) | tail -n 1
	@if [ -n "$(POLICY_JSON)" ]; then $(PY) -m lakectl audit-policies $(POLICY_JSON); fi
