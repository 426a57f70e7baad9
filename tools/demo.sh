#!/usr/bin/env bash
# tools/demo.sh -- the main job, from a fresh Debian 12 machine (as root):
# installs what is missing, builds and installs leadstore, starts a throwaway
# PostgreSQL 15 cluster as the "leadstore" system user (unix socket in
# /var/tmp/leadstore-demo and 127.0.0.1:$LS_DEMO_PORT only), creates a
# database with the extension, the reference data model (from the installed
# extension directory) and sample data, then runs tools/demo.sql in psql.
# The cluster keeps running afterwards so you can look around; the last
# lines say how to connect and how to stop it.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
source tools/lib.sh

LS_DEMO_PORT=${LS_DEMO_PORT:-54330}

ls_install_deps
ls_build_install
ls_cluster_start demo "$LS_DEMO_PORT"

sharedir=$("$LS_PG_CONFIG" --sharedir)
ls_psql -d postgres -c "CREATE DATABASE leadstore_demo"
ls_psql -d leadstore_demo -c "CREATE EXTENSION leadstore" \
	-f "$sharedir/extension/leadstore_data_model.sql" \
	-f tools/sample_data.sql
ls_log "running tools/demo.sql"
"$LS_PGBIN/psql" -X -a -d leadstore_demo -f tools/demo.sql

cat <<MSG

The demo cluster is still running. To look around:
  $LS_PGBIN/psql -h $PGHOST -p $PGPORT -U postgres leadstore_demo
  (or over TCP: -h 127.0.0.1 -p $PGPORT)
To stop it:
  runuser -u $LS_OSUSER -- $LS_PGBIN/pg_ctl -D $PGHOST/data stop
MSG
