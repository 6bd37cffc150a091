// What a shopper reads about an order change: a title and a body per event kind, in Russian or English.
import type { OrderEventType } from '@shop/contracts';

export type Locale = 'ru' | 'en';

/** The order's locale from its order document ("ru", "ru-RU", ...) when it is Russian, else English (also when unknown). */
export const pickLocale = (locale: string | null | undefined): Locale => (locale && /^ru(\b|[-_])/i.test(locale) ? 'ru' : 'en');

export interface Message { title: string; body: string }
export interface MessageFacts { kind: OrderEventType; orderUid: string; total: string; currency: string }

const money = (total: string, currency: string, locale: Locale) => {
  try {
    return new Intl.NumberFormat(locale === 'ru' ? 'ru-RU' : 'en-US', { style: 'currency', currency }).format(Number(total));
  } catch {
    return `${total} ${currency}`;
  }
};

const TEXTS: Record<Locale, Record<OrderEventType, (order: string, amount: string) => Message>> = {
  en: {
    'order.placed': (o, a) => ({ title: `Order ${o} placed`, body: `Thank you! We have received your order ${o} for ${a}. We will let you know when it is paid.` }),
    'order.paid': (o, a) => ({ title: `Order ${o} paid`, body: `Your payment of ${a} for order ${o} went through. We are getting the order ready.` }),
    'order.payment_failed': (o, a) => ({ title: `Payment for order ${o} failed`, body: `We could not take the payment of ${a} for order ${o}. Please try again or choose another way to pay.` }),
    'order.cancelled': (o) => ({ title: `Order ${o} cancelled`, body: `Your order ${o} was cancelled. If you paid, the money will be returned.` }),
    'order.shipped': (o) => ({ title: `Order ${o} shipped`, body: `Your order ${o} is on its way.` }),
    'order.delivered': (o) => ({ title: `Order ${o} delivered`, body: `Your order ${o} was delivered. Enjoy your purchase!` }),
  },
  ru: {
    'order.placed': (o, a) => ({ title: `Заказ ${o} оформлен`, body: `Спасибо! Мы получили ваш заказ ${o} на сумму ${a}. Сообщим, когда он будет оплачен.` }),
    'order.paid': (o, a) => ({ title: `Заказ ${o} оплачен`, body: `Оплата ${a} за заказ ${o} прошла. Мы собираем заказ.` }),
    'order.payment_failed': (o, a) => ({ title: `Не удалось оплатить заказ ${o}`, body: `Не получилось списать ${a} за заказ ${o}. Попробуйте ещё раз или выберите другой способ оплаты.` }),
    'order.cancelled': (o) => ({ title: `Заказ ${o} отменён`, body: `Ваш заказ ${o} отменён. Если вы его оплатили, деньги вернутся.` }),
    'order.shipped': (o) => ({ title: `Заказ ${o} отправлен`, body: `Ваш заказ ${o} в пути.` }),
    'order.delivered': (o) => ({ title: `Заказ ${o} доставлен`, body: `Ваш заказ ${o} доставлен. Приятных покупок!` }),
  },
};

/** The title and body of a notification about this change, in this locale. */
export const render = (facts: MessageFacts, locale: Locale): Message =>
  TEXTS[locale][facts.kind](facts.orderUid, money(facts.total, facts.currency, locale));
