// Payment providers behind one interface. The sandbox keeps its charges in its own table keyed by the order
// uid, so a charge retried for the same order (a restart, a replay) never charges twice. Card numbers never
// leave this module beyond their last four digits.
import type pg from 'pg';

export interface Card { number: string; expMonth: number; expYear: number; cvc: string }
export type ChargeOutcome = 'approved' | 'declined' | 'insufficient_funds';
export interface ChargeResult { outcome: ChargeOutcome; transaction: string; last4: string }

export interface PaymentProvider {
  readonly name: string;
  /** Idempotent per order uid: a second call answers the first charge's result. */
  charge(request: { orderUid: string; amountMinor: number; currency: string; card: Card }): Promise<ChargeResult>;
  /** Idempotent: refunding a refunded (or never approved) charge changes nothing. */
  refund(orderUid: string): Promise<void>;
  /** The order's charge, if one was made (recovery: was the card charged before the crash?). */
  find(orderUid: string): Promise<ChargeResult | undefined>;
}

/** The Luhn check (ISO/IEC 7812). */
export function luhnValid(number: string): boolean {
  if (!/^\d{12,19}$/.test(number)) return false;
  let sum = 0;
  for (let i = 0; i < number.length; i++) {
    let d = number.charCodeAt(number.length - 1 - i) - 48;
    if (i % 2 === 1) { d *= 2; if (d > 9) d -= 9; }
    sum += d;
  }
  return sum % 10 === 0;
}

/** A card whose last valid month is before `now`'s month. */
export function cardExpired(card: Pick<Card, 'expMonth' | 'expYear'>, now = new Date()): boolean {
  const year = now.getUTCFullYear();
  return card.expYear < year || (card.expYear === year && card.expMonth < now.getUTCMonth() + 1);
}

/** The sandbox's test cards (DESIGN.md): any other Luhn-valid card approves too. */
const OUTCOMES: Record<string, ChargeOutcome> = {
  '4242424242424242': 'approved',
  '4000000000000002': 'declined',
  '4000000000009995': 'insufficient_funds',
};

export class SandboxProvider implements PaymentProvider {
  readonly name = 'sandbox';
  private readonly db: pg.Pool;
  constructor(db: pg.Pool) {
    this.db = db;
  }

  async charge({ orderUid, amountMinor, currency, card }: { orderUid: string; amountMinor: number; currency: string; card: Card }): Promise<ChargeResult> {
    const outcome = OUTCOMES[card.number] ?? 'approved';
    const last4 = card.number.slice(-4);
    await this.db.query(
      `INSERT INTO sandbox_charges (order_uid, amount_minor, currency, card_last4, outcome) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (order_uid) DO NOTHING`,
      [orderUid, amountMinor, currency, last4, outcome],
    );
    return (await this.find(orderUid))!;
  }

  async find(orderUid: string): Promise<ChargeResult | undefined> {
    const { rows } = await this.db.query<{ outcome: ChargeOutcome; card_last4: string }>('SELECT outcome, card_last4 FROM sandbox_charges WHERE order_uid = $1', [orderUid]);
    return rows[0] && { outcome: rows[0].outcome, transaction: orderUid, last4: rows[0].card_last4 };
  }

  async refund(orderUid: string): Promise<void> {
    await this.db.query(`UPDATE sandbox_charges SET refunded_at = now() WHERE order_uid = $1 AND outcome = 'approved' AND refunded_at IS NULL`, [orderUid]);
  }
}
