import { buildService } from './app.ts';

const service = await buildService();
await service.start();
