// Keyset pages, newest first: a query fetches size + 1 rows, so the extra row says whether more follow.
export function keysetPage<T extends { id: number }>(rows: T[], size: number): { page: T[]; nextCursor: string | null } {
  const page = rows.slice(0, size);
  return { page, nextCursor: rows.length > size ? String(page[page.length - 1]!.id) : null };
}
