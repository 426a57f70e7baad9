# Makefile for leadstore (PGXS)

EXTENSION = leadstore
MODULE_big = leadstore
OBJS = \
	src/leadstore.o \
	src/args.o \
	src/model.o \
	src/plans.o \
	src/check_data_model.o \
	src/uuidv7.o \
	src/lead_lock.o \
	src/chunks.o \
	src/section_store.o \
	src/chunk_store.o \
	src/cms_select.o \
	src/deep_scan.o

DATA = sql/leadstore--0.1.0.sql sql/leadstore--0.2.0.sql \
	sql/leadstore--0.1.0--0.2.0.sql sql/leadstore_data_model.sql
PGFILEDESC = "leadstore - atomic multi-table writes for lead qualification"

# pg_regress: sql/<test>.sql against expected/<test>.out, in this order
REGRESS = setup section_store cms_select deep_scan errors settings plans mapping types app_schema store_chunks values plan_cache comments upgrade
REGRESS_OPTS = --dbname=leadstore_regress

EXTRA_CLEAN = results regression.diffs regression.out

# Isolation specs (pg_isolation_regress, run by make installcheck after
# pg_regress): test/isolation/specs/<name>.spec against
# test/isolation/expected/<name>.out, in a database of their own that
# the isolation_db step makes afresh with the extension and the reference
# data model (each spec adds and removes its own rows).
ISOLATION = $(sort $(basename $(notdir $(wildcard test/isolation/specs/*.spec))))
ISOLATION_OPTS = --inputdir=test/isolation --outputdir=test/isolation/output --use-existing
EXTRA_CLEAN += test/isolation/output tmp_check
ifneq ($(strip $(ISOLATION)),)
REGRESS_PREP = isolation_db
endif

# TAP tests (PostgreSQL::Test::Cluster, each starts its own nodes):
# test/t/*.pl, run by make installcheck after the isolation specs, or alone
# by make prove_installcheck.  PostgreSQL refuses to run as root, so as root
# installcheck leaves them out (and says so); run make prove_installcheck as
# another user, as tools/test.sh does.
ifneq ($(wildcard test/t/*.pl),)
PROVE_TESTS ?= $(sort $(wildcard test/t/*.pl))
ifneq ($(shell id -u),0)
TAP_TESTS = 1
else
TAP_AS_ROOT = 1
endif
endif

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

ISOLATION_TESTDB = leadstore_isolation
PSQL_CMD = '$(bindir)/psql' -X -q -v ON_ERROR_STOP=1

.PHONY: isolation_db prove_installcheck
isolation_db:
	$(PSQL_CMD) -d postgres -c 'DROP DATABASE IF EXISTS $(ISOLATION_TESTDB)' \
		-c 'CREATE DATABASE $(ISOLATION_TESTDB)'
	$(PSQL_CMD) -d $(ISOLATION_TESTDB) -c 'SET client_min_messages = warning' \
		-c 'CREATE EXTENSION leadstore' -f sql/leadstore_data_model.sql

prove_installcheck:
	$(prove_installcheck)

ifdef TAP_AS_ROOT
installcheck: tap_not_as_root
.PHONY: tap_not_as_root
tap_not_as_root:
	@echo "TAP tests (test/t) not run: PostgreSQL refuses to run as root; run make prove_installcheck as another user"
endif

# every object includes the shared header (PGXS tracks no header dependencies)
$(OBJS): src/leadstore.h src/model.h

# make dist: leadstore-<version>.zip of the committed tree (git archive HEAD),
# every file under leadstore-<version>/; <version> is leadstore.control's
# default_version.  Written to DIST_DIR (default: the top directory).
LS_DIST_VERSION := $(shell sed -n "s/^default_version[[:space:]]*=[[:space:]]*'\([^']*\)'.*/\1/p" leadstore.control)
DIST_DIR ?= .

.PHONY: dist
dist:
	@test -n "$(LS_DIST_VERSION)" || { echo "dist: no default_version in leadstore.control" >&2; exit 1; }
	git archive --format=zip --prefix=leadstore-$(LS_DIST_VERSION)/ \
		-o $(DIST_DIR)/leadstore-$(LS_DIST_VERSION).zip HEAD
	@echo "wrote $(DIST_DIR)/leadstore-$(LS_DIST_VERSION).zip"
