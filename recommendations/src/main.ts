import { runService } from '@shop/kit';
import { buildService } from './app.ts';

await runService(() => buildService());
