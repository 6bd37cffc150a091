import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { decodeUserEvent, encodeUserEvent, validateUserEvent, type UserEvent } from './user-events.ts';

function event(overrides: Partial<UserEvent> = {}, data: Partial<UserEvent['data']> = {}): UserEvent {
  return {
    id: randomUUID(), type: 'user.registered', version: 1, occurredAt: new Date().toISOString(), source: 'sso',
    data: { id: randomUUID(), role: 'customer', createdAt: new Date().toISOString(), ...data },
    ...overrides,
  };
}

describe('user event contract', () => {
  it('accepts a well-formed event and round-trips through bytes', () => {
    const e = event({ type: 'user.updated', version: 2 }, { role: 'admin' });
    const decoded = decodeUserEvent(encodeUserEvent(e));
    assert.equal(decoded.ok, true);
    assert.deepEqual(decoded.ok && decoded.value, e);
  });

  it('refuses personal data and anything else beyond {id, role, createdAt}', () => {
    for (const extra of [{ email: 'a@b.c' }, { name: 'Ann' }, { passwordHash: 'scrypt$...' }]) {
      assert.equal(validateUserEvent(event({}, extra as Partial<UserEvent['data']>)).ok, false, Object.keys(extra)[0]);
      assert.throws(() => encodeUserEvent(event({}, extra as Partial<UserEvent['data']>)), /invalid user event/);
    }
    assert.equal(validateUserEvent({ ...event(), email: 'a@b.c' }).ok, false);
  });

  it('refuses unknown types and roles, a service role, version 0 and a non-uuid id', () => {
    assert.equal(validateUserEvent(event({ type: 'user.deleted' as never })).ok, false);
    assert.equal(validateUserEvent(event({}, { role: 'service' as never })).ok, false);
    assert.equal(validateUserEvent(event({ version: 0 })).ok, false);
    assert.equal(validateUserEvent(event({}, { id: 'user-1' })).ok, false);
    assert.equal(decodeUserEvent(Buffer.from('{not json')).ok, false);
  });
});
