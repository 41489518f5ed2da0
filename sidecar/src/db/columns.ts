// Column types shared by several tables: set by the database on insert, or given a default when left out.
import type { ColumnType } from 'kysely';

export type { Generated } from 'kysely';

/** Set by the database when the row is inserted, never updated. */
export type CreatedAt = ColumnType<Date, Date | undefined, never>;
/** Set by the database on insert and on every update; a write may still set it. */
export type UpdatedAt = ColumnType<Date, Date | undefined, Date>;
/** A column with a database default: optional on insert, writable later. */
export type Defaulted<T> = ColumnType<T, T | undefined, T>;
