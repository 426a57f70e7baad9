#!/usr/bin/env bash
# tools/pgindent.sh -- format src/*.c and src/*.h the way PostgreSQL's
# pgindent does: pg_bsd_indent (Debian package pg-bsd-indent) with pgindent's
# flags and a typedefs list built from the server headers plus our own
# typedefs (without the list, "LsLead *lead" would become "LsLead * lead").
#   bash tools/pgindent.sh          # rewrite in place
#   bash tools/pgindent.sh --check  # list the files that would change, exit 1 if any
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
command -v pg_bsd_indent >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pg-bsd-indent >/dev/null; }
inc=$(/usr/lib/postgresql/15/bin/pg_config --includedir-server)
typedefs=$(mktemp)
trap 'rm -f "$typedefs" "$typedefs".*' EXIT
{
	grep -rhoE '^typedef [^;(]*[ *]([A-Za-z_][A-Za-z0-9_]*);' "$inc" src | sed -E 's/.*[ *]([A-Za-z_][A-Za-z0-9_]*);/\1/'
	grep -rhoE '^\} ([A-Za-z_][A-Za-z0-9_]*);' "$inc" src | sed -E 's/\} //; s/;//'
	echo bool
} | sort -u >"$typedefs"
status=0
for f in src/*.c src/*.h; do
	pg_bsd_indent -bad -bap -bbb -bc -bl -cli1 -cp33 -cdb -nce -d0 -di12 -nfc1 \
		-i4 -l79 -lp -lpl -nip -npro -sac -tpg -ts4 -U"$typedefs" "$f" "$typedefs.tmp"
	# as pgindent's post-processing: a pointer return type on its own line
	# is "char *", not "char\t   *"
	sed -E 's/^([A-Za-z_][A-Za-z0-9_]*)[[:space:]]+\*$/\1 */' "$typedefs.tmp" >"$typedefs.out"
	if ! cmp -s "$f" "$typedefs.out"; then
		if [ "${1:-}" = --check ]; then
			echo "$f"
			status=1
		else
			cp "$typedefs.out" "$f"
		fi
	fi
done
exit $status
