/**
 * Opaque page cursors of the list routes: a row's time and its tie-breaking key, base64url.
 * The repositories page with `(time, key) < cursor` (or `>` for ascending lists).
 */
import { ApiError } from './errors.js';

export interface Cursor {
  at: Date;
  key: string;
}

export function encodeCursor(at: Date, key: string): string {
  return Buffer.from(`${at.toISOString()}|${key}`).toString('base64url');
}

/**
 * @param isKey what a valid key looks like for this list (a UUID, a sequence number…)
 * @example const before = q.cursor ? decodeCursor(q.cursor, (k) => uuidParam.safeParse(k).success) : undefined;
 */
export function decodeCursor(cursor: string, isKey: (key: string) => boolean): Cursor {
  const [ts, key] = Buffer.from(cursor, 'base64url').toString().split('|');
  const at = new Date(ts ?? '');
  if (Number.isNaN(at.getTime()) || key === undefined || !isKey(key)) {
    throw new ApiError(400, 'invalid_cursor', 'cursor: not a cursor returned by this API');
  }
  return { at, key };
}

/** The page of `rows` (fetched with one extra row) and the cursor of the next page, if any. */
export function pageOf<T>(rows: T[], limit: number, cursorOf: (row: T) => string): { page: T[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { page, nextCursor: rows.length > limit && last ? cursorOf(last) : null };
}
