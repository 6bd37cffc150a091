import { createService, registerClients } from '@shop/kit';
import { config } from './config.ts';

export async function buildService(env: NodeJS.ProcessEnv = process.env) {
  const service = await createService({ name: 'search', config, env });
  await registerClients(service.app, 'search', service.config);
  return service;
}
