/**
 * @leadstore/drizzle -- a typed Drizzle ORM (node-postgres) client for the
 * leadstore PostgreSQL extension: one function per SQL function of the
 * extension, its error classes, and the data model as pg-core tables.
 */
export * from "./leadstore.js";
export * from "./tables.js";
