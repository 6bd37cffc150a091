/**
 * Shoppers' spelling, shared by the ETL (documents) and the search service (queries) so both sides
 * agree: Unicode NFKC, ё→е and Ё→Е, control characters and runs of whitespace to one space, trimmed.
 * Case is kept (the analyzers lowercase).
 */
export function normalizeText(text: string): string {
  return text
    .normalize('NFKC')
    .replace(/ё/g, 'е')
    .replace(/Ё/g, 'Е')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f\s]+/g, ' ')
    .trim();
}
