// Realistic order documents for load and tests (DESIGN.md's model): Russian and English customers, cities,
// brands and goods, consistent totals; plus the requested shares of invalid documents (one of each refusal
// kind), duplicates (an earlier valid document again, byte for byte) and conflicts (an earlier uid with other
// content). Seeded: the same seed gives the same stream.
import { saleTotal, type OrderDocument } from '@shop/contracts';
import { seededRandom } from '@shop/kit';

export type Kind = 'valid' | 'invalid' | 'duplicate' | 'conflict';
/** The refusal each invalid document is made to get (the orders consumer's dead-letter reasons). */
export const INVALID_KINDS = ['invalid-json', 'schema', 'too-many-items', 'inconsistent', 'implausible-date', 'empty'] as const;
export type InvalidKind = (typeof INVALID_KINDS)[number];
/** The dead-letter reason the consumer gives each invalid kind. */
export const REASON_OF: Record<InvalidKind, string> = {
  'invalid-json': 'invalid-json', schema: 'schema', 'too-many-items': 'schema', inconsistent: 'inconsistent', 'implausible-date': 'implausible-date', empty: 'empty',
};

export interface GeneratedMessage {
  key: string;
  value: Buffer | null;
  kind: Kind;
  uid: string;
  invalid?: InvalidKind;
}

export interface GeneratorOptions {
  count: number;
  invalid?: number;
  duplicates?: number;
  conflicts?: number;
  seed?: number;
  /** Every order's customer_id (a signed-in customer's id); default: a new uuid per order. */
  customerId?: string;
  /** Prefix of every order uid (tests tell their orders apart). */
  uidPrefix?: string;
  now?: number;
}

const RU = {
  first: ['Иван', 'Алексей', 'Дмитрий', 'Сергей', 'Мария', 'Анна', 'Ольга', 'Екатерина', 'Наталья', 'Михаил'],
  last: ['Иванов', 'Смирнов', 'Кузнецов', 'Попов', 'Соколов', 'Лебедев', 'Козлов', 'Новиков', 'Морозов', 'Волков'],
  latin: ['ivanov', 'smirnov', 'kuznetsov', 'popov', 'sokolov', 'lebedev', 'kozlov', 'novikov', 'morozov', 'volkov'],
  places: [['Москва', 'Москва', '101000'], ['Санкт-Петербург', 'Санкт-Петербург', '190000'], ['Казань', 'Республика Татарстан', '420000'],
    ['Новосибирск', 'Новосибирская область', '630000'], ['Екатеринбург', 'Свердловская область', '620000'], ['Нижний Новгород', 'Нижегородская область', '603000']],
  streets: ['ул. Ленина', 'пр. Мира', 'ул. Гагарина', 'Садовая ул.', 'ул. Пушкина', 'Невский пр.'],
  goods: ['Чайник электрический', 'Тушь для ресниц', 'Кроссовки беговые', 'Смартфон', 'Наушники беспроводные', 'Футболка хлопковая', 'Рюкзак городской', 'Пылесос'],
  currency: 'RUB', phone: () => '+79', services: ['cdek', 'boxberry', 'pochta'], banks: ['sber', 'tinkoff', 'alpha', 'vtb'],
};
const EN = {
  first: ['John', 'Emma', 'Oliver', 'Sophia', 'James', 'Olivia', 'William', 'Ava', 'Henry', 'Mia'],
  last: ['Smith', 'Johnson', 'Brown', 'Taylor', 'Wilson', 'Davies', 'Evans', 'Clark', 'Walker', 'Wright'],
  latin: ['smith', 'johnson', 'brown', 'taylor', 'wilson', 'davies', 'evans', 'clark', 'walker', 'wright'],
  places: [['London', 'Greater London', 'EC1A 1BB'], ['Manchester', 'Greater Manchester', 'M1 1AE'], ['New York', 'NY', '10001'],
    ['Boston', 'MA', '02108'], ['Kiryat Mozkin', 'Kraiot', '2639809'], ['Toronto', 'Ontario', 'M5H 2N2']],
  streets: ['Baker Street', 'High Street', 'Main Street', 'Park Avenue', 'Queen Street', 'Ploshad Mira'],
  goods: ['Electric kettle', 'Mascara', 'Running shoes', 'Smartphone', 'Wireless headphones', 'Cotton T-shirt', 'City backpack', 'Vacuum cleaner'],
  currency: 'USD', phone: () => '+1', services: ['meest', 'dhl', 'ups'], banks: ['alpha', 'chase', 'barclays', 'hsbc'],
};
const BRANDS = ['Bork', 'Vivienne Sabo', 'Nike', 'Samsung', 'Xiaomi', 'Redmond', "Levi's", 'Zara', 'Adidas', 'Philips'];
const SIZES = ['0', 'S', 'M', 'L', 'XL', '42', '44'];

export class OrderGenerator {
  readonly #r: () => number;
  readonly #o: GeneratorOptions;
  #n = 0;

  constructor(options: GeneratorOptions) {
    this.#o = options;
    this.#r = seededRandom(options.seed ?? Date.now());
  }

  #int(min: number, max: number): number {
    return min + Math.floor(this.#r() * (max - min + 1));
  }
  #pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.#r() * list.length)]!;
  }
  #hex(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += Math.floor(this.#r() * 16).toString(16);
    return s;
  }
  #uuid(): string {
    const h = this.#hex(32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20)}`;
  }

  /** One valid order document. */
  order(itemCount = this.#int(1, 5)): OrderDocument {
    const ru = this.#r() < 0.6;
    const l = ru ? RU : EN;
    const uid = `${this.#o.uidPrefix ?? ''}${this.#hex(16)}${(this.#n++).toString(36)}`;
    const track = `WB${ru ? 'RU' : 'IL'}${this.#hex(10).toUpperCase()}`;
    const who = this.#int(0, l.first.length - 1);
    const family = this.#int(0, l.last.length - 1);
    const [city, region, zip] = this.#pick(l.places) as [string, string, string];
    const now = this.#o.now ?? Date.now();
    const created = new Date(now - this.#int(0, 30 * 24 * 3600) * 1000);
    const items = Array.from({ length: itemCount }, () => {
      const price = this.#int(100, 50_000) * 100 + this.#pick([0, 90, 99]);
      const sale = this.#pick([0, 0, 0, 5, 10, 15, 20, 30, 50]);
      const id = this.#int(1_000_000, 99_999_999);
      return {
        chrt_id: id, track_number: track, price, rid: `${this.#hex(20)}${ru ? 'ru' : 'en'}`, name: this.#pick(l.goods), sale,
        size: this.#pick(SIZES), total_price: saleTotal(price, sale), nm_id: id + 1, brand: this.#pick(BRANDS), status: 202,
      };
    });
    const goods = items.reduce((sum, i) => sum + i.total_price, 0);
    const deliveryCost = this.#pick([0, 0, 29_900, 49_900, 1_500]);
    const fee = this.#pick([0, 0, 0, 1_000]);
    return {
      order_uid: uid, track_number: track, entry: 'WBIL',
      delivery: {
        name: `${l.first[who]} ${l.last[family]}`, phone: `${l.phone()}${this.#int(100_000_000, 999_999_999)}`, zip, city,
        address: ru ? `${this.#pick(l.streets)}, д. ${this.#int(1, 120)}, кв. ${this.#int(1, 300)}` : `${this.#int(1, 250)} ${this.#pick(l.streets)}`,
        region, email: `${l.latin[family]}${this.#int(1, 9999)}@example.${ru ? 'ru' : 'com'}`,
      },
      payment: {
        transaction: uid, request_id: '', currency: l.currency, provider: this.#pick(['wbpay', 'sandbox']), amount: goods + deliveryCost + fee,
        payment_dt: Math.floor(created.getTime() / 1000) + this.#int(0, 600), bank: this.#pick(l.banks), delivery_cost: deliveryCost, goods_total: goods, custom_fee: fee,
      },
      items, locale: ru ? 'ru' : 'en', internal_signature: '', customer_id: this.#o.customerId ?? this.#uuid(),
      delivery_service: this.#pick(l.services), shardkey: String(this.#int(0, 9)), sm_id: this.#int(1, 99),
      date_created: created.toISOString().replace(/\.\d{3}Z$/, 'Z'), oof_shard: String(this.#int(1, 2)),
    };
  }

  /** An invalid message of the given kind. */
  invalidMessage(kind: InvalidKind): GeneratedMessage {
    const doc = this.order();
    const uid = doc.order_uid;
    const json = (value: unknown) => Buffer.from(JSON.stringify(value));
    switch (kind) {
      case 'empty': return { key: uid, value: null, kind: 'invalid', uid, invalid: kind };
      case 'invalid-json': return { key: uid, value: Buffer.from(JSON.stringify(doc).slice(0, 60)), kind: 'invalid', uid, invalid: kind };
      case 'schema': {
        const broken = { ...doc, delivery: { ...doc.delivery, phone: 'call me' } } as Record<string, unknown>;
        delete broken.track_number;
        return { key: uid, value: json(broken), kind: 'invalid', uid, invalid: kind };
      }
      case 'too-many-items': return { key: uid, value: json(this.order(101)), kind: 'invalid', uid, invalid: kind };
      case 'inconsistent': return { key: uid, value: json({ ...doc, payment: { ...doc.payment, amount: doc.payment.amount + 100 } }), kind: 'invalid', uid, invalid: kind };
      case 'implausible-date': return { key: uid, value: json({ ...doc, date_created: '1970-01-01T00:00:00Z' }), kind: 'invalid', uid, invalid: kind };
    }
  }

  /**
   * `count` messages: the shares of invalid, duplicate and conflicting ones drawn at random (a duplicate or
   * conflict needs an earlier valid order: until there is one, a valid order is sent instead).
   */
  messages(): GeneratedMessage[] {
    const { count, invalid = 0, duplicates = 0, conflicts = 0 } = this.#o;
    const out: GeneratedMessage[] = [];
    const valid: GeneratedMessage[] = [];
    for (let i = 0; i < count; i++) {
      const roll = this.#r();
      if (roll < invalid) {
        out.push(this.invalidMessage(INVALID_KINDS[i % INVALID_KINDS.length]!));
      } else if (roll < invalid + duplicates && valid.length) {
        const earlier = this.#pick(valid);
        out.push({ ...earlier, kind: 'duplicate' });
      } else if (roll < invalid + duplicates + conflicts && valid.length) {
        const earlier = this.#pick(valid);
        const doc = JSON.parse(earlier.value!.toString()) as OrderDocument;
        doc.delivery.address = `${doc.delivery.address} (changed)`;
        out.push({ key: earlier.key, value: Buffer.from(JSON.stringify(doc)), kind: 'conflict', uid: earlier.uid });
      } else {
        const doc = this.order();
        const message: GeneratedMessage = { key: doc.order_uid, value: Buffer.from(JSON.stringify(doc)), kind: 'valid', uid: doc.order_uid };
        valid.push(message);
        out.push(message);
      }
    }
    return out;
  }
}

/** What was generated, in numbers (the CLI prints it). */
export function summarize(messages: GeneratedMessage[]) {
  const invalid: Record<string, number> = {};
  for (const m of messages) if (m.invalid) invalid[m.invalid] = (invalid[m.invalid] ?? 0) + 1;
  const count = (kind: Kind) => messages.filter((m) => m.kind === kind).length;
  return {
    sent: messages.length, valid: count('valid'), invalid: count('invalid'), invalidByKind: invalid,
    duplicates: count('duplicate'), conflicts: count('conflict'),
  };
}
