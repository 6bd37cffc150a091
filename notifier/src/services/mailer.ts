// Sends each notification's e-mail once the order's contact is known: rounds of due rows claimed
// FOR UPDATE SKIP LOCKED, each send marked in the same transaction (a redelivered event never adds a
// row, so never a second mail); a failed send waits with exponential backoff. At least once: a crash
// between the SMTP server's acceptance and the commit sends that mail again.
import { exponentialBackoff } from '@shop/kit';
import type { Transporter } from 'nodemailer';
import type { NotificationRepository, PendingMail } from '../repositories/notifications.ts';
import { pickLocale, render } from './messages.ts';

export interface MailerLog { info(obj: object, msg: string): void; warn(obj: object, msg: string): void; error(obj: object, msg: string): void }

export interface MailerOptions {
  from: string;
  batchSize: number;
  pollMs: number;
  retryMinMs: number;
  retryMaxMs: number;
  maxAgeHours: number;
  log: MailerLog;
  onOutcome?: (outcome: 'sent' | 'failed', count: number) => void;
}

/** An address fit for logs: the first character of the local part and the domain (`t***@gmail.com`). */
export const maskEmail = (email: string): string => {
  const at = email.lastIndexOf('@');
  return at < 1 ? '***' : `${email[0]}***${email.slice(at)}`;
};

export class Mailer {
  readonly #repo: NotificationRepository;
  readonly #transport: Transporter;
  readonly #options: MailerOptions;
  readonly #backoff: (attempt: number) => number;
  #running = false;
  #stopping = false;
  #loop: Promise<void> | undefined;
  #wakeUp: (() => void) | undefined;
  #woken = false;
  #round: Promise<unknown> = Promise.resolve();

  constructor(repo: NotificationRepository, transport: Transporter, options: MailerOptions) {
    this.#repo = repo;
    this.#transport = transport;
    this.#options = options;
    this.#backoff = exponentialBackoff(options.retryMinMs, options.retryMaxMs);
  }

  /** One round: sends the due mails (tests call it directly); rounds never overlap within a process. */
  runOnce(): Promise<{ sent: number; failed: number }> {
    // After one failed send the rest of the round waits for the next one: an SMTP server that hangs costs
    // one time limit per round, not one per mail (and a stop never waits for a whole batch of them).
    let failed = false;
    const send = async (mail: PendingMail) => {
      if (failed || this.#stopping) return 'skip' as const;
      const result = await this.#send(mail);
      failed = result !== null;
      return result;
    };
    const round = this.#round.catch(() => undefined).then(() => this.#repo.withDueMails(this.#options.batchSize, this.#options.maxAgeHours, send));
    this.#round = round;
    return round.then((result) => {
      if (result.sent) this.#options.onOutcome?.('sent', result.sent);
      if (result.failed) this.#options.onOutcome?.('failed', result.failed);
      return result;
    });
  }

  async #send(mail: PendingMail): Promise<{ error: string; retryInMs: number } | null> {
    const { title, body } = render(mail, pickLocale(mail.locale));
    try {
      await this.#transport.sendMail({
        from: this.#options.from, to: mail.email, subject: title, text: body,
        // One Message-ID per notification: a mail sent twice after a crash is recognizably the same.
        messageId: `<${mail.id}@notifier.shop>`,
      });
      this.#options.log.info({ notificationId: mail.id, orderUid: mail.orderUid, to: maskEmail(mail.email) }, 'e-mail sent');
      return null;
    } catch (err) {
      const retryInMs = this.#backoff(mail.attempts);
      this.#options.log.warn({ notificationId: mail.id, orderUid: mail.orderUid, to: maskEmail(mail.email), attempts: mail.attempts + 1, retryInMs, err: (err as Error).message }, 'e-mail not sent; retrying later');
      return { error: (err as Error).message, retryInMs };
    }
  }

  /** Ends the current wait: something may have become due (a stored event, an order's contact). */
  wake(): void {
    this.#woken = true;
    this.#wakeUp?.();
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = (async () => {
      let failures = 0;
      while (this.#running) {
        this.#woken = false;
        let pause = this.#options.pollMs;
        try {
          const { sent, failed } = await this.runOnce();
          failures = 0;
          // a full batch: more may be due at once
          if (sent + failed >= this.#options.batchSize) pause = 0;
        } catch (err) {
          failures++;
          pause = Math.min(this.#options.pollMs * 2 ** failures, 30_000);
          this.#options.log.error({ err: (err as Error).message }, 'mail round failed');
        }
        if (!this.#running || this.#woken && pause > 0 && failures === 0) continue;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, pause);
          this.#wakeUp = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.#wakeUp = undefined;
      }
    })();
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#stopping = true;
    this.#wakeUp?.();
    await this.#loop;
    await this.#round.catch(() => undefined);
    this.#transport.close();
  }
}
