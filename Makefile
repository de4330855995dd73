# The two commands of the README. Both set themselves up on a fresh machine.
.PHONY: demo test bootstrap proto bench clean

VENV ?= .venv

bootstrap:
	@scripts/bootstrap.sh

demo: bootstrap
	$(VENV)/bin/campus-hub demo

test: bootstrap
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

proto: bootstrap
	$(VENV)/bin/python scripts/gen_proto.py

bench: bootstrap
	$(VENV)/bin/python -m bench.run_all

clean:
	rm -rf campushub .hypothesis .pytest_cache
