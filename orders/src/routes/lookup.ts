// GET /orders/lookup: the order lookup page (HTML + a small script, no framework). The page signs in through
// the sso's /api/auth/login and reads orders through GET /api/orders/:uid like any client, so it needs no
// route of its own beyond these two files. Not part of the JSON API's OpenAPI document.
import { readFileSync } from 'node:fs';
import type { App } from '@shop/kit';

const read = (name: string) => readFileSync(new URL(`../public/${name}`, import.meta.url));
const CSP = "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export async function lookupRoutes(app: App): Promise<void> {
  const html = read('lookup.html');
  const js = read('lookup.js');
  app.get('/orders/lookup', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').header('content-security-policy', CSP).header('cache-control', 'no-cache').send(html));
  app.get('/orders/lookup/app.js', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(js));
}
