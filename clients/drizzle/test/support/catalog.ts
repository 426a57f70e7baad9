// Compares a Drizzle pg-core table with the table PostgreSQL has: columns
// (name, type, NOT NULL, default or not, primary key), foreign keys (name,
// columns, referenced table and columns, ON DELETE), unique constraints,
// CHECK constraints (names) and indexes (name, columns).
import assert from "node:assert/strict";

import { sql } from "drizzle-orm";
import { getTableConfig, type PgTable } from "drizzle-orm/pg-core";

import type { Q } from "./db.js";

export interface TableShape {
  columns: string[]; // "name type [not null] [default] [pk]", sorted
  foreignKeys: string[]; // "name (cols) -> table(cols) on delete x", sorted
  uniques: string[]; // "name (cols)", sorted
  checks: string[]; // names, sorted
  indexes: string[]; // "name (cols)", sorted (no primary key or unique-constraint indexes)
}

const action = (a: string | undefined) => (a ?? "no action").toLowerCase();

/** Drizzle's spelling of a type as format_type() spells it. */
const pgType = (t: string) => (t === "timestamp" ? "timestamp without time zone" : t);

/** The shape Drizzle declares. */
export function drizzleShape(table: PgTable): TableShape & { schema: string; name: string } {
  const c = getTableConfig(table);
  return {
    schema: c.schema ?? "public",
    name: c.name,
    columns: c.columns
      .map((col) =>
        [col.name, pgType(col.getSQLType()), col.notNull ? "not null" : "", col.hasDefault ? "default" : "", col.primary ? "pk" : ""]
          .filter(Boolean)
          .join(" "),
      )
      .sort(),
    foreignKeys: c.foreignKeys
      .map((fk) => {
        const r = fk.reference();
        const ft = getTableConfig(r.foreignTable);
        return `${fk.getName()} (${r.columns.map((x) => x.name).join(", ")}) -> ${ft.name}(${r.foreignColumns
          .map((x) => x.name)
          .join(", ")}) on delete ${action(fk.onDelete)}`;
      })
      .sort(),
    uniques: c.uniqueConstraints.map((u) => `${u.getName()} (${u.columns.map((x) => x.name).join(", ")})`).sort(),
    checks: c.checks.map((ch) => ch.name).sort(),
    indexes: c.indexes
      .map((i) => `${i.config.name} (${i.config.columns.map((x) => (x as { name: string }).name).join(", ")})`)
      .sort(),
  };
}

/** The shape PostgreSQL has for schema.name. */
export async function catalogShape(q: Q, schema: string, name: string): Promise<TableShape> {
  const rel = sql`(select c.oid from pg_class c join pg_namespace n on n.oid = c.relnamespace
                     where n.nspname = ${schema} and c.relname = ${name})`;
  const cols = await q.execute(sql`
    select a.attname as name, format_type(a.atttypid, a.atttypmod) as type, a.attnotnull as notnull,
           a.atthasdef as hasdef,
           exists (select 1 from pg_constraint p where p.conrelid = a.attrelid and p.contype = 'p'
                      and a.attnum = any (p.conkey)) as pk
      from pg_attribute a
     where a.attrelid = ${rel} and a.attnum > 0 and not a.attisdropped`);
  const cons = await q.execute(sql`
    select p.conname as name, p.contype as type,
           (select string_agg(a.attname, ', ' order by k.o) from unnest(p.conkey) with ordinality k(n, o)
              join pg_attribute a on a.attrelid = p.conrelid and a.attnum = k.n) as cols,
           f.relname as ftable,
           (select string_agg(a.attname, ', ' order by k.o) from unnest(p.confkey) with ordinality k(n, o)
              join pg_attribute a on a.attrelid = p.confrelid and a.attnum = k.n) as fcols,
           case p.confdeltype when 'a' then 'no action' when 'r' then 'restrict' when 'c' then 'cascade'
                              when 'n' then 'set null' when 'd' then 'set default' end as ondelete
      from pg_constraint p left join pg_class f on f.oid = p.confrelid
     where p.conrelid = ${rel}`);
  const idx = await q.execute(sql`
    select ic.relname as name,
           (select string_agg(a.attname, ', ' order by k.o) from unnest(i.indkey::int2[]) with ordinality k(n, o)
              join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.n) as cols
      from pg_index i join pg_class ic on ic.oid = i.indexrelid
     where i.indrelid = ${rel}
       and not exists (select 1 from pg_constraint p where p.conindid = i.indexrelid and p.conrelid = i.indrelid)`);
  assert.ok(cols.rows.length > 0, `table ${schema}.${name} exists`);
  const rows = (r: { rows: Record<string, unknown>[] }) => r.rows;
  return {
    columns: rows(cols)
      .map((r) =>
        [r.name, r.type, r.notnull ? "not null" : "", r.hasdef ? "default" : "", r.pk ? "pk" : ""].filter(Boolean).join(" "),
      )
      .sort(),
    foreignKeys: rows(cons)
      .filter((r) => r.type === "f")
      .map((r) => `${r.name} (${r.cols}) -> ${r.ftable}(${r.fcols}) on delete ${r.ondelete}`)
      .sort(),
    uniques: rows(cons)
      .filter((r) => r.type === "u")
      .map((r) => `${r.name} (${r.cols})`)
      .sort(),
    checks: rows(cons)
      .filter((r) => r.type === "c")
      .map((r) => String(r.name))
      .sort(),
    indexes: rows(idx)
      .map((r) => `${r.name} (${r.cols})`)
      .sort(),
  };
}

/** Asserts the Drizzle table and the server's table have the same shape. */
export async function assertTableMatchesCatalog(q: Q, table: PgTable): Promise<void> {
  const d = drizzleShape(table);
  const c = await catalogShape(q, d.schema, d.name);
  const label = `${d.schema}.${d.name}`;
  assert.deepEqual(d.columns, c.columns, `${label}: columns`);
  assert.deepEqual(d.foreignKeys, c.foreignKeys, `${label}: foreign keys`);
  assert.deepEqual(d.uniques, c.uniques, `${label}: unique constraints`);
  assert.deepEqual(d.checks, c.checks, `${label}: check constraints`);
  assert.deepEqual(d.indexes, c.indexes, `${label}: indexes`);
}
