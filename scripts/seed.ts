// Demo catalog through the public API (the proxy): sellers sign up and log in at the sso, then
// create items with POST /api/items, exactly as a real seller would. Idempotent: a seller that
// already has its items is skipped. Usage: node scripts/seed.ts [--items 2000] [--sellers 8]
import { parseArgs } from 'node:util';
import { api, type ApiRequest } from './api.ts';

const { values } = parseArgs({ options: { items: { type: 'string', default: '2000' }, sellers: { type: 'string', default: '8' }, proxy: { type: 'string', default: process.env.PROXY_URL ?? 'http://127.0.0.1:8080' } } });
const TOTAL = Number(values.items);
const SELLERS = Number(values.sellers);
const API = values.proxy!;
const PASSWORD = process.env.DEMO_SELLER_PASSWORD ?? 'demo seller password';

interface Category { slug: string; name: string; nameRu?: string; nameEn?: string; children?: Category[] }

/** Products per category family: [Russian noun, English noun, brands, attribute makers]. */
const FAMILIES: Record<string, { ru: string[]; en: string[]; brands: string[]; attrs: (i: number) => Record<string, string | number> }> = {
  laptops: { ru: ['Ноутбук', 'Игровой ноутбук', 'Ультрабук'], en: ['Laptop', 'Gaming laptop', 'Ultrabook'], brands: ['Lenovo', 'ASUS', 'Acer', 'HP', 'Apple', 'Huawei'], attrs: (i) => ({ ram_gb: [8, 16, 32][i % 3]!, screen_in: [13.3, 14, 15.6, 16][i % 4]! }) },
  smartphones: { ru: ['Смартфон', 'Телефон'], en: ['Smartphone', 'Phone'], brands: ['Samsung', 'Apple', 'Xiaomi', 'Honor', 'realme'], attrs: (i) => ({ storage_gb: [128, 256, 512][i % 3]!, color: ['черный', 'белый', 'синий'][i % 3]! }) },
  headphones: { ru: ['Наушники', 'Беспроводные наушники'], en: ['Headphones', 'Wireless earbuds'], brands: ['Sony', 'JBL', 'Sennheiser', 'Apple', 'Marshall'], attrs: (i) => ({ anc: i % 2 ? 'да' : 'нет' }) },
  'running-shoes': { ru: ['Кроссовки для бега', 'Беговые кроссовки'], en: ['Running shoes', 'Trail running shoe'], brands: ['Nike', 'Adidas', 'ASICS', 'Saucony', 'Brooks', 'HOKA'], attrs: (i) => ({ size: 38 + (i % 9), color: ['черный', 'белый', 'серый', 'синий'][i % 4]! }) },
  sneakers: { ru: ['Кеды', 'Кроссовки'], en: ['Sneakers', 'Canvas shoes'], brands: ['Converse', 'Vans', 'New Balance', 'Puma', 'Nike'], attrs: (i) => ({ size: 36 + (i % 10) }) },
  jackets: { ru: ['Куртка', 'Пуховик', 'Ветровка'], en: ['Jacket', 'Down jacket', 'Windbreaker'], brands: ['The North Face', 'Columbia', 'Uniqlo', 'Zara'], attrs: (i) => ({ size: ['S', 'M', 'L', 'XL'][i % 4]! }) },
};
const GENERIC_BRANDS = ['Acme', 'Nordic', 'Polar', 'Urban', 'Vesta', 'Zenit', 'Ёлочка', 'Bosch', 'Philips', 'IKEA'];
const ADJ_RU = ['Новый', 'Легкий', 'Компактный', 'Профессиональный', 'Классический', 'Зелёный', 'Удобный'];
const ADJ_EN = ['new', 'light', 'compact', 'pro', 'classic', 'green', 'comfortable'];

function leaves(tree: Category[]): Category[] {
  return tree.flatMap((c) => (c.children?.length ? leaves(c.children) : [c]));
}

const call = (path: string, init: ApiRequest = {}) => api(API, path, init);

function itemFor(category: Category, n: number) {
  const fam = FAMILIES[category.slug];
  const ru = category.nameRu ?? category.name;
  const en = category.nameEn ?? category.slug.replace(/-/g, ' ');
  const brands = fam?.brands ?? GENERIC_BRANDS;
  const brand = brands[n % brands.length]!;
  const model = `${String.fromCharCode(65 + (n % 26))}${100 + ((n * 37) % 900)}`;
  const english = n % 3 === 0;
  const noun = english ? (fam?.en[n % fam.en.length] ?? en) : (fam?.ru[n % fam.ru.length] ?? ru);
  const adj = english ? ADJ_EN[n % ADJ_EN.length]! : ADJ_RU[n % ADJ_RU.length]!;
  const name = english ? `${brand} ${noun} ${model} ${adj}` : `${adj} ${noun.toLowerCase()} ${brand} ${model}`;
  const description = english
    ? `${noun} ${brand} ${model}: ${adj} choice in ${en.toLowerCase()}. Fast delivery, official warranty.`
    : `${noun} ${brand} ${model} — ${adj.toLowerCase()} выбор в категории «${ru}». Быстрая доставка, официальная гарантия.`;
  const price = (((n * 7919) % 150_000) + 199 + ((n % 100) / 100)).toFixed(2);
  return { name, description, brand, category: category.slug, price, stock: (n * 13) % 40, attributes: fam?.attrs(n) ?? { model } };
}

async function sellerToken(i: number): Promise<{ token: string; id: string }> {
  const email = `demo-seller-${i}@shop.example`;
  const reg = await call('/api/auth/register', { method: 'POST', body: { email, password: PASSWORD, name: `Demo Seller ${i}`, role: 'seller' } });
  if (reg.status !== 201 && reg.status !== 409) throw new Error(`register ${email}: ${reg.status} ${JSON.stringify(reg.body)}`);
  const login = await call('/api/auth/login', { method: 'POST', body: { email, password: PASSWORD } });
  if (login.status !== 200) throw new Error(`login ${email}: ${login.status} ${JSON.stringify(login.body)}`);
  const me = await call('/api/auth/me', { token: login.body.accessToken });
  return { token: login.body.accessToken, id: me.body.id };
}

const started = performance.now();
const categories = await call('/api/categories');
if (categories.status !== 200) throw new Error(`GET /api/categories: ${categories.status}`);
const cats = leaves(categories.body as Category[]);
const perSeller = Math.ceil(TOTAL / SELLERS);
let created = 0;
let skipped = 0;
for (let s = 1; s <= SELLERS; s++) {
  const { token, id } = await sellerToken(s);
  const existing = await call(`/api/items?sellerId=${id}&page=1&size=1`);
  const have = Number(existing.body?.total ?? 0);
  if (have >= perSeller) {
    skipped += have;
    continue;
  }
  const queue = Array.from({ length: perSeller - have }, (_, k) => (s - 1) * perSeller + have + k);
  const worker = async () => {
    for (let n = queue.shift(); n !== undefined; n = queue.shift()) {
      const res = await call('/api/items', { method: 'POST', token, body: itemFor(cats[n % cats.length]!, n) });
      if (res.status !== 201) throw new Error(`POST /api/items: ${res.status} ${JSON.stringify(res.body)}`);
      created++;
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

// A few items of every seller get a picture (a generated PNG, uploaded like a seller would) and
// reviews from three demo customers, so product pages, thumbnails and ratings have something to show.
const IMAGES_PER_SELLER = Number(process.env.SEED_IMAGES_PER_SELLER ?? 6);
const COLORS = ['#e63946', '#457b9d', '#2a9d8f', '#f4a261', '#6d597a', '#264653'];
// Varied opinions in both languages (comment-analysis turns them into each item's review summary).
const REVIEWS = [
  { rating: 5, text: 'Отличная вещь, полностью соответствует описанию. Рекомендую!' },
  { rating: 4, text: 'Good value for the price, delivery was fast.' },
  { rating: 3, text: 'Нормально, но ожидал немного большего.' },
  { rating: 2, text: 'Маломерит на размер, пришлось вернуть. Качество так себе.' },
  { rating: 5, text: 'Battery lasts all week and the sound is crisp. Love it!' },
  { rating: 1, text: 'Пришёл с трещиной на корпусе, коробка мятая. Не рекомендую.' },
  { rating: 4, text: 'Comfortable and well made, but shipping took almost two weeks.' },
  { rating: 3, text: 'Экран яркий, но батарея садится к вечеру.' },
  { rating: 2, text: 'Runs small and the color looks nothing like the photos.' },
  { rating: 5, text: 'Без нареканий, пользуюсь каждый день. Доставили быстро, упаковано надёжно.' },
  { rating: 4, text: 'Not bad at all for the money, does the job.' },
  { rating: 1, text: 'Stopped working after a week. Waste of money.' },
];
const customers = await Promise.all([1, 2, 3].map(async (i) => {
  const email = `demo-customer-${i}@shop.example`;
  const reg = await call('/api/auth/register', { method: 'POST', body: { email, password: PASSWORD, name: `Покупатель ${i}`, role: 'customer' } });
  if (reg.status !== 201 && reg.status !== 409) throw new Error(`register ${email}: ${reg.status}`);
  const login = await call('/api/auth/login', { method: 'POST', body: { email, password: PASSWORD } });
  const me = await call('/api/auth/me', { token: login.body.accessToken });
  return { token: login.body.accessToken as string, id: me.body.id as string };
}));
const { default: sharp } = await import('sharp');
let images = 0;
let reviews = 0;
for (let s = 1; s <= SELLERS; s++) {
  const { token, id } = await sellerToken(s);
  const list = await call(`/api/items?sellerId=${id}&page=1&size=${IMAGES_PER_SELLER}`);
  for (const [k, item] of (list.body.items as { id: string; brand: string; images: unknown[] }[]).entries()) {
    if (!item.images.length) {
      const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="800" height="600"><rect width="100%" height="100%" fill="${COLORS[(s + k) % COLORS.length]}"/><text x="50%" y="50%" font-size="96" fill="white" text-anchor="middle" font-family="sans-serif">${item.brand.replace(/[<&>]/g, '')}</text></svg>`;
      const png = await sharp(Buffer.from(svg)).png().toBuffer();
      const form = new FormData();
      form.append('file', new Blob([png], { type: 'image/png' }), 'demo.png');
      const res = await fetch(`${API}/api/items/${item.id}/images`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
      if (res.status !== 201) throw new Error(`upload to ${item.id}: ${res.status} ${await res.text()}`);
      images++;
    }
    const existing = await call(`/api/items/${item.id}/comments?size=50`);
    const authors = new Set((existing.body.items as { authorId: string }[]).map((c) => c.authorId));
    for (const [c, customer] of customers.entries()) {
      if (authors.has(customer.id) || (k + c) % 2 === 1) continue;
      const res = await call(`/api/items/${item.id}/comments`, { method: 'POST', token: customer.token, body: REVIEWS[(k + c) % REVIEWS.length] });
      if (res.status !== 201) throw new Error(`review of ${item.id}: ${res.status} ${JSON.stringify(res.body)}`);
      reviews++;
    }
  }
}
console.log(JSON.stringify({ created, alreadyThere: skipped, images, reviews, categories: cats.length, sellers: SELLERS, seconds: Math.round((performance.now() - started) / 100) / 10 }));
