export * from './item-events.ts';
