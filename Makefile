# capa: every target is a thin wrapper over a script in scripts/ (read them for the details).
#   make run                      set up, then serve with demo data on http://127.0.0.1:8000
#   make test [ARGS="..."]        set up, then run pytest (ARGS go to pytest)
#   make lint                     ruff, check --deploy with production settings, makemigrations --check
#   make bench                    run every bench/*.py
#   make stop                     stop the private PostgreSQL and Redis
#   make clean                    stop them and delete .run/
#   make backup [OUT=DIR/|FILE]   pg_dump the database to backups/capa-<UTC time>.dump (or OUT)
#   make restore FILE=...         restore a dump over the database; needs CONFIRM=yes (overwrites)
SHELL := /bin/bash
ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help bootstrap run test lint bench services stop clean backup restore

help:
	@sed -n 's/^#   //p' Makefile

bootstrap:
	scripts/bootstrap

run:
	scripts/run

test:
	scripts/test $(ARGS)

lint:
	scripts/lint

bench:
	scripts/bench

services:
	scripts/services start

stop:
	scripts/services stop

clean: stop
	scripts/services clean

backup:
	scripts/backup $(if $(OUT),"$(OUT)")

restore:
	CONFIRM="$(CONFIRM)" scripts/restore "$(FILE)"
