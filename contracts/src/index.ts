export * from './item-events.ts';
export * from './auth.ts';
