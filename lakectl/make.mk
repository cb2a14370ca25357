# lakectl: the end-to-end local demo (included by the root Makefile).
# make demo [SIZE=tiny|small|large]   run or resume the whole lake locally; writes demo-report/index.html
# make demo-clean                      stop the demo's emulator and PostgreSQL servers, remove its state and report
.PHONY: demo demo-clean

SIZE ?= small

demo: setup ## The whole lake locally end to end (SIZE=small|large|tiny); resumes a failed run; report in demo-report/
	@$(PY) -m lakectl demo --size $(SIZE)

demo-clean: ## Stop the demo's services and remove its state (.local/demo, PostgreSQL data, local tfstate) and demo-report/
	@$(PY) -m lakectl demo --clean

# Review summary of a change (issue 34): contracts, effective access, Terraform plan, DQ rules vs BASE.
# make review BASE=origin/main [PLAN_JSON=plan.json] [REVIEW_OUT=review.md]
.PHONY: review
BASE ?= origin/main

review: setup ## Markdown review summary of the working tree against BASE (PLAN_JSON: `terraform show -json` output)
	@$(PY) -m lakectl review --base $(BASE) $(if $(PLAN_JSON),--plan $(PLAN_JSON),) $(if $(REVIEW_OUT),--output $(REVIEW_OUT),)
