import type { ItemStatus, StageType } from '@stagehook/contracts';

/**
 * The manual lifecycle (Hasty's): new → in_progress → to_review → done, with a reviewer's
 * reject (to_review → in_progress), a reopen (done → in_progress), skipping and archiving
 * from anywhere, and un-skip / restore back to new.
 */
export const MANUAL_TRANSITIONS: Readonly<Record<ItemStatus, readonly ItemStatus[]>> = {
  new: ['in_progress', 'skipped', 'archived'],
  in_progress: ['new', 'to_review', 'skipped', 'archived'],
  to_review: ['in_progress', 'done', 'archived'],
  done: ['in_progress', 'archived'],
  skipped: ['new', 'in_progress', 'archived'],
  archived: ['new'],
};

/**
 * The workflow is the authority on where an item is: a stage entry may move an item to its
 * stage's status from any live status (a reject sends to_review back to in_progress, an admin
 * move can skip review). An archived item was taken out of work on purpose; a stage entry does
 * not revive it (the consumer dead-letters that entry so an operator sees it).
 */
export function workflowMayMove(from: ItemStatus, _to: ItemStatus): boolean {
  return from !== 'archived';
}

export function manualMayMove(from: ItemStatus, to: ItemStatus): boolean {
  return MANUAL_TRANSITIONS[from].includes(to);
}

/** The status a stage type puts an item in; stages that do not change it answer undefined. */
export function statusForStage(stageType: StageType): ItemStatus | undefined {
  switch (stageType) {
    case 'annotate':
      return 'in_progress';
    case 'review':
      return 'to_review';
    case 'complete':
      return 'done';
    case 'dataset':
    case 'webhook':
      return undefined;
  }
}
