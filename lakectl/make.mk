# lakectl: the end-to-end local demo (included by the root Makefile).
# make demo [SIZE=tiny|small|large]   run or resume the whole lake locally; writes demo-report/index.html
# make demo-clean                      stop the demo's emulator and PostgreSQL servers, remove its state and report
.PHONY: demo demo-clean

SIZE ?= small

demo: setup ## The whole lake locally end to end (SIZE=small|large|tiny); resumes a failed run; report in demo-report/
	@$(PY) -m lakectl demo --size $(SIZE)

demo-clean: ## Stop the demo's services and remove its state (.local/demo, PostgreSQL data, local tfstate) and demo-report/
	@$(PY) -m lakectl demo --clean
