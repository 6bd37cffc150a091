// loms as a child process for the kill -9 tests: the real service, paused for good after the checkout step
// ("reserved" | "charged" | "recorded") or the cancellation step ("cancel:requested" | "cancel:given-back") named
// by PAUSE_AT, so the test can SIGKILL it exactly between two steps.
import { runService } from '@shop/kit';
import { buildService } from '../src/app.ts';

const pauseAt = process.env.PAUSE_AT;
await runService(() => buildService(process.env, {
  checkoutHooks: { afterStep: (step) => (step === pauseAt ? new Promise<void>(() => undefined) : undefined) },
  lifecycleHooks: { afterCancelStep: (step) => (`cancel:${step}` === pauseAt ? new Promise<void>(() => undefined) : undefined) },
}));
