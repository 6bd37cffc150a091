/** The outbox relay is the kit's (`@shop/kit` outbox); item-crud runs it through `outboxRelayPlugin` (see app.ts). */
export { OutboxRelay, relayMetrics, type RelayHooks, type RelayOptions, type RelayProducer, type RoundResult } from '@shop/kit';
