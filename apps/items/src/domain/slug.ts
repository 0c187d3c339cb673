/** A slug from a name: lower-case letters, digits and dashes, at most 100; `fallback` when nothing is left. */
export function slugify(name: string, fallback: string): string {
  const s = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 100);
  return s || fallback;
}
