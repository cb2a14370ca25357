# Reliability and security proof (issue 8): the robustness suite and `make audit`. Included by the root Makefile.
.PHONY: test-robustness audit

AUDIT_DIR := $(abspath $(or $(LAKE_STATE_DIR),.local))/audit

test-robustness: setup ## Bad-input corpus, fault, property and security tests (slow ones too: ROBUST_MARK="not slow" to skip)
	$(PY) -m pytest tests/robustness -m "$${ROBUST_MARK:-}" $(PYTEST_ARGS)

# Each step runs even when an earlier one fails; the summary says which failed and the target fails with it.
audit: setup ## checkov + grants + governance + robustness tests (incl. the rendered-IAM audit); one-screen summary
	@mkdir -p $(AUDIT_DIR); rm -f $(AUDIT_DIR)/*.log
	@$(MAKE) --no-print-directory tf-lint > $(AUDIT_DIR)/checkov.log 2>&1; echo $$? > $(AUDIT_DIR)/checkov.rc
	@$(PY) -m lakectl validate-grants > $(AUDIT_DIR)/grants.log 2>&1; echo $$? > $(AUDIT_DIR)/grants.rc
	@$(PY) -m pytest tests/governance -q -p no:warnings -m "not slow" $(PYTEST_ARGS) > $(AUDIT_DIR)/governance.log 2>&1; echo $$? > $(AUDIT_DIR)/governance.rc
	@$(PY) -m pytest tests/robustness -q -p no:warnings $(PYTEST_ARGS) > $(AUDIT_DIR)/robustness.log 2>&1; echo $$? > $(AUDIT_DIR)/robustness.rc
	@echo "================ make audit ================"
	@ok=0; for area in checkov grants governance robustness; do \
		rc=$$(cat $(AUDIT_DIR)/$$area.rc); \
		case $$area in \
			checkov) detail=$$(grep -hoE "Passed checks: [0-9]+, Failed checks: [0-9]+, Skipped checks: [0-9]+" $(AUDIT_DIR)/checkov.log | awk -F"[:,]" "{p+=\$$2; f+=\$$4; s+=\$$6} END {printf \"passed %d, failed %d, skipped %d\", p, f, s}");; \
			grants) detail=$$(tail -n 1 $(AUDIT_DIR)/grants.log);; \
			*) detail=$$(grep -E "(passed|failed|error)" $(AUDIT_DIR)/$$area.log | tail -n 1 | tr -d "=");; \
		esac; \
		if [ "$$rc" = 0 ]; then status=PASS; else status=FAIL; ok=1; fi; \
		printf "  %-11s %s  %s\n" "$$area" "$$status" "$$detail"; \
		if [ "$$rc" != 0 ]; then grep -hE "^(FAILED|ERROR)|Check: |FAILED for resource" $(AUDIT_DIR)/$$area.log | head -n 8 | sed "s/^/      /"; fi; \
	done; echo "  logs: $(AUDIT_DIR)/"; exit $$ok
