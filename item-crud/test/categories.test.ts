// GET /api/categories: the seeded tree, Russian or English names, cacheable.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { App } from '@shop/kit';
import { startApp } from './helpers.ts';

interface Node { slug: string; name: string; nameRu: string; nameEn: string; parent: string | null; children: Node[] }

let app: App;
before(async () => {
  app = await startApp({ RELAY_ENABLED: 'false' });
});
after(async () => {
  await app.close();
});

const leaves = (nodes: Node[]): Node[] => nodes.flatMap((n) => (n.children.length ? leaves(n.children) : [n]));

describe('GET /api/categories', () => {
  it('answers the tree with Russian names by default, cacheable', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/categories' });
    assert.equal(res.statusCode, 200, res.body);
    assert.match(String(res.headers['cache-control']), /public, max-age=\d+/);
    const tree = res.json<Node[]>();
    assert.ok(tree.length >= 6, `roots: ${tree.length}`);
    assert.ok(leaves(tree).length >= 24, `leaves: ${leaves(tree).length}`);
    for (const root of tree) {
      assert.equal(root.parent, null);
      assert.ok(root.children.length > 0, `${root.slug} has children`);
      for (const child of root.children) assert.equal(child.parent, root.slug);
    }
    const all = [...tree, ...tree.flatMap((r) => r.children)];
    for (const node of all) {
      assert.match(node.slug, /^[a-z0-9]+(-[a-z0-9]+)*$/);
      assert.deepEqual(Object.keys(node).sort(), ['children', 'name', 'nameEn', 'nameRu', 'parent', 'slug']);
      assert.equal(node.name, node.nameRu);
      assert.match(node.nameRu, /[а-яё]/i, `${node.slug} has a Russian name`);
    }
    const electronics = tree.find((n) => n.slug === 'electronics');
    assert.ok(electronics);
    assert.equal(electronics.name, 'Электроника');
    for (const slug of ['laptops', 'smartphones', 'headphones', 'tv']) assert.ok(electronics.children.some((c) => c.slug === slug), slug);
    const clothing = tree.find((n) => n.slug === 'clothing');
    for (const slug of ['running-shoes', 'sneakers', 'jackets', 't-shirts']) assert.ok(clothing?.children.some((c) => c.slug === slug), slug);
  });

  it('names in English with lang=en and refuses other languages', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/categories?lang=en' });
    assert.equal(res.statusCode, 200, res.body);
    const tree = res.json<Node[]>();
    const electronics = tree.find((n) => n.slug === 'electronics')!;
    assert.equal(electronics.name, 'Electronics');
    assert.equal(electronics.nameRu, 'Электроника');
    assert.equal(electronics.children.find((c) => c.slug === 'laptops')?.name, 'Laptops');
    assert.equal((await app.inject({ method: 'GET', url: '/api/categories?lang=de' })).statusCode, 400);
  });
});
