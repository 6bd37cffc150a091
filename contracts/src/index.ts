export * from './item-events.ts';
export * from './comment-events.ts';
export * from './orders.ts';
export * from './order-events.ts';
export * from './user-events.ts';
export * from './auth.ts';
export * from './text.ts';
export * from './activity-events.ts';
