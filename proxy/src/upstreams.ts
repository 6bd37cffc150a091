import type { Static } from '@shop/kit';
import type { config } from './config.ts';
import { FORWARDED_METHODS } from './forward.ts';

type ProxyConfig = Static<typeof config>;

export interface Upstream {
  name: string;
  url: string;
  /** Path prefixes this service owns; the proxy forwards them without rewriting. */
  prefixes: string[];
  /** Only these methods go to the service (default: every forwarded method). */
  methods?: string[];
}

/** The routing table of the public contract (DESIGN.md): who owns which path prefix. */
export function upstreams(cfg: ProxyConfig): Upstream[] {
  return [
    { name: 'sso', url: cfg.SSO_URL, prefixes: ['/api/auth', '/.well-known'] },
    { name: 'item-crud', url: cfg.ITEM_CRUD_URL, prefixes: ['/api/items', '/api/categories', '/api/sellers', '/api/comments'] },
    { name: 'item-etl', url: cfg.ITEM_ETL_URL, prefixes: [] },
    { name: 'search', url: cfg.SEARCH_URL, prefixes: ['/api/search'] },
    { name: 'facade', url: cfg.FACADE_URL, prefixes: ['/api/products', '/api/images'] },
    { name: 'cart', url: cfg.CART_URL, prefixes: ['/api/cart'] },
    // /api/orders by method: the writes (POST /api/orders, .../cancel|ship|deliver) are loms's; the reads
    // (GET /api/orders, /api/orders/:uid) come with the orders service.
    { name: 'loms', url: cfg.LOMS_URL, prefixes: ['/api/orders'], methods: ['POST'] },
    // Every other method of /api/orders is the orders service's (GET answers; the rest get its 405 with Allow).
    { name: 'orders', url: cfg.ORDERS_URL, prefixes: ['/api/orders', '/orders/lookup'], methods: FORWARDED_METHODS.filter((m) => m !== 'POST') },
    { name: 'notifier', url: cfg.NOTIFIER_URL, prefixes: ['/api/notifications'] },
    { name: 'analytics', url: cfg.ANALYTICS_URL, prefixes: ['/api/activity', '/api/analytics'] },
    { name: 'comment-analysis', url: cfg.COMMENT_ANALYSIS_URL, prefixes: ['/api/review-analysis'] },
    { name: 'recommendations', url: cfg.RECOMMENDATIONS_URL, prefixes: ['/api/recommendations'] },
  ];
}
