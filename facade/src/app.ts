import { ITEM_EVENTS_TOPIC } from '@shop/contracts';
import { createService, registerClients } from '@shop/kit';
import { config } from './config.ts';

export async function buildService(env: NodeJS.ProcessEnv = process.env) {
  const service = await createService({ name: 'facade', config, env });
  await registerClients(service.app, 'facade', service.config, [ITEM_EVENTS_TOPIC]);
  return service;
}
