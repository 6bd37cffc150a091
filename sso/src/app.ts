import { createService, registerClients } from '@shop/kit';
import { config } from './config.ts';

export async function buildService(env: NodeJS.ProcessEnv = process.env) {
  const service = await createService({ name: 'sso', config, env });
  await registerClients(service.app, 'sso', service.config);
  return service;
}
