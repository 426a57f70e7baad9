# Makefile for leadstore (PGXS)

EXTENSION = leadstore
MODULE_big = leadstore
OBJS = \
	src/leadstore.o \
	src/args.o \
	src/plans.o \
	src/uuidv7.o \
	src/lead_lock.o \
	src/row_lock.o \
	src/section_store.o \
	src/cms_select.o \
	src/deep_scan.o

DATA = sql/leadstore--0.1.0.sql sql/leadstore_data_model.sql
PGFILEDESC = "leadstore - atomic multi-table writes for lead qualification"

# pg_regress: sql/<test>.sql against expected/<test>.out, in this order
REGRESS = setup section_store cms_select deep_scan errors settings plans row_lock
REGRESS_OPTS = --dbname=leadstore_regress

EXTRA_CLEAN = results regression.diffs regression.out

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# every object includes the shared header (PGXS tracks no header dependencies)
$(OBJS): src/leadstore.h

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
