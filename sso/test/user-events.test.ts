// user-events through the sso's transactional outbox, against the real PostgreSQL and Kafka: one event per
// registration (and per create-admin creation or promotion), written in the account's transaction (a
// rolled-back registration leaves neither the account nor its event), published with key = user id, read
// back from Kafka with the contract's decoder, and never carrying personal data.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { USER_EVENTS_TOPIC, decodeUserEvent, type UserEvent } from '@shop/contracts';
import { ConsumerRunner } from '@shop/kit';
import { createDb, type Db } from '../src/db.ts';
import { UserRepository } from '../src/repositories/users.ts';
import { waitFor } from '../../test/support.ts';
import { DATABASE_URL, PASSWORD, cli, startApp, uniqueEmail, type TestApp } from './helpers.ts';

let t: TestApp;
let db: Db;
let consumer: ConsumerRunner<UserEvent>;
/** Every user event read from Kafka since the test started, by user id (the key). */
const seen = new Map<string, { event: UserEvent; key: string; raw: string }[]>();

before(async () => {
  t = await startApp();
  db = createDb(DATABASE_URL);
  consumer = new ConsumerRunner<UserEvent>({
    name: 'user-events test', kafka: t.app.kafka, groupId: `sso-user-events-test-${randomUUID()}`, topics: [USER_EVENTS_TOPIC],
    fromBeginning: true, decode: decodeUserEvent, log: t.app.log,
    handleMessage: async ({ value, message }) => {
      const key = message.key?.toString() ?? '';
      seen.set(value.data.id, [...(seen.get(value.data.id) ?? []), { event: value, key, raw: message.value?.toString() ?? '' }]);
    },
  });
  await consumer.start();
  // The topic holds few events (accounts): the group reads it from the beginning and keeps what this test makes.
  await waitFor('the test consumer in its group', async () => {
    try {
      await consumer.check();
      return true;
    } catch {
      return false;
    }
  }, 30_000, 100);
});
after(async () => {
  await consumer.stop();
  await db.$disconnect();
  await t.close();
});

const outboxRows = (userId: string) =>
  db.outbox.findMany({ where: { topic: USER_EVENTS_TOPIC, key: userId }, orderBy: { id: 'asc' } });

/** Waits until Kafka delivered `count` events of this user (the relay publishes after the commit). */
const delivered = (userId: string, count: number) =>
  waitFor(`${count} user event(s) of ${userId} on ${USER_EVENTS_TOPIC}`, () => ((seen.get(userId)?.length ?? 0) >= count ? seen.get(userId)! : undefined), 30_000);

describe('user-events', () => {
  it('a registration writes exactly one user.registered in its transaction, published with key = user id and no personal data', async () => {
    const email = uniqueEmail('events');
    const res = await t.register({ email, password: PASSWORD, name: 'Private Name', role: 'seller' });
    assert.equal(res.statusCode, 201, res.body);
    const { id } = res.json<{ id: string }>();

    const rows = await outboxRows(id);
    assert.equal(rows.length, 1, 'one outbox row for one registration');
    const user = await db.user.findUniqueOrThrow({ where: { id } });
    assert.deepEqual(rows[0]!.payload, {
      id: rows[0]!.eventId, type: 'user.registered', version: 1, occurredAt: (rows[0]!.payload as { occurredAt: string }).occurredAt, source: 'sso',
      data: { id, role: 'seller', createdAt: user.createdAt.toISOString() },
    });
    assert.match(String((rows[0]!.headers as Record<string, string>)['content-type']), /json/);

    const [message, ...more] = await delivered(id, 1);
    assert.equal(more.length, 0);
    assert.equal(message!.key, id);
    assert.equal(message!.event.id, rows[0]!.eventId);
    for (const secret of [email, 'Private Name', PASSWORD, user.passwordHash, 'email', 'password', 'name']) {
      assert.ok(!message!.raw.includes(secret), `the published event does not carry ${secret}`);
    }
  });

  it('a rolled-back registration writes no event, and a taken email none either', async () => {
    let attempted: string | undefined;
    const failing = new UserRepository(db, {
      beforeCommit: async (user) => {
        attempted = user.id;
        throw new Error('injected failure after the event was written');
      },
    });
    const email = uniqueEmail('rollback');
    await assert.rejects(failing.create({ email, name: 'Rolled Back', role: 'customer', passwordHash: 'x' }), /injected failure/);
    assert.ok(attempted, 'the hook ran inside the transaction, after the event was written');
    assert.equal(await db.user.findUnique({ where: { email } }), null);
    assert.deepEqual(await outboxRows(attempted), []);

    const first = await t.newUser('taken');
    const again = await t.register({ email: first.email, password: PASSWORD, name: 'Again' });
    assert.equal(again.statusCode, 409);
    assert.equal((await outboxRows(first.id)).length, 1, 'still only the first registration\'s event');
  });

  it('create-admin publishes user.registered for a new admin and user.updated (next version) for a promotion', async () => {
    const created = await cli(['create-admin', '--email', uniqueEmail('admin-events'), '--name', 'Events Admin'], { env: { ADMIN_PASSWORD: 'admin password 9' } });
    assert.equal(created.code, 0, created.stderr);
    const adminId = (JSON.parse(created.stdout) as { id: string }).id;
    const [registered] = await delivered(adminId, 1);
    assert.deepEqual([registered!.event.type, registered!.event.version, registered!.event.data.role], ['user.registered', 1, 'admin']);

    const customer = await t.newUser('promoted');
    const promoted = await cli(['create-admin', '--email', customer.email, '--name', 'Ignored']);
    assert.equal(promoted.code, 0, promoted.stderr);
    const events = await delivered(customer.id, 2);
    assert.deepEqual(events.map((e) => [e.event.type, e.event.version, e.event.data.role]), [['user.registered', 1, 'customer'], ['user.updated', 2, 'admin']]);
    assert.equal((await db.user.findUniqueOrThrow({ where: { id: customer.id } })).version, 2);

    // Promoting an admin again changes nothing and publishes nothing.
    assert.equal((await cli(['create-admin', '--email', customer.email, '--name', 'Ignored'])).code, 0);
    assert.equal((await outboxRows(customer.id)).length, 2);
  });
});
