import type { SyncItemDto } from '../../../shared/archive-sync';

type SyncGroup = 'send' | 'receive' | 'create' | 'delete';

/** How many itemized changes fall in each group; attribute-only and link changes count as `other`. */
export function countSyncGroups(items: readonly SyncItemDto[]): Record<SyncGroup | 'other', number> {
  const counts = { send: 0, receive: 0, create: 0, delete: 0, other: 0 };
  for (const item of items) {
    if (item.change === 'send' || item.change === 'receive' || item.change === 'create' || item.change === 'delete') counts[item.change]++;
    else counts.other++;
  }
  return counts;
}
