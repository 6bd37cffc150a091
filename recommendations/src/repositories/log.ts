import type { ItemInfo, ModelEvent } from '../core/model.ts';

/** The service's consumed activity as an evaluation log (arrives with the service's database). */
export async function loadLogFromDatabase(): Promise<{ items: ItemInfo[]; events: ModelEvent[] }> {
  throw new Error('the database source needs the recommendations database (not built yet); use --source synthetic');
}
