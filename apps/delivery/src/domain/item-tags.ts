import type { CloudEvent, EventData } from '@stagehook/contracts';

export type ItemTagEvent = CloudEvent<'item.tag.added', EventData<'item.tag.added'>> | CloudEvent<'item.tag.removed', EventData<'item.tag.removed'>>;

export interface TagChange {
  projectId: string;
  itemId: string;
  name: string;
  present: boolean;
}

/**
 * What a tag event changes. The items service emits item.tag.added|removed for every tag-shaped
 * annotation (tag routes, annotation routes and Darwin import alike; item.annotation.* never
 * carries a tag) and keys tags by name, as its list filter does: this view follows the same
 * events. Null when an added tag's annotation has no name.
 */
export function tagChange(e: ItemTagEvent): TagChange | null {
  const { projectId, itemId } = e.data;
  switch (e.type) {
    case 'item.tag.added': {
      const name = e.data.annotation.name;
      return typeof name === 'string' && name.length > 0 ? { projectId, itemId, name, present: true } : null;
    }
    case 'item.tag.removed':
      return { projectId, itemId, name: e.data.name, present: false };
    default: {
      const never: never = e;
      throw new Error(`unhandled tag event ${String((never as { type: string }).type)}`);
    }
  }
}

/**
 * The item's tags once `change` is applied, sorted. A tag event's own subscribers see these (the
 * tags after the change), whatever the view says: when an older tag event is redelivered after a
 * newer one, the view keeps the newer state but the old event still matches as of itself.
 */
export function tagsAfter(change: Pick<TagChange, 'name' | 'present'>, current: readonly string[]): string[] {
  const tags = new Set(current);
  if (change.present) tags.add(change.name);
  else tags.delete(change.name);
  return [...tags].sort();
}
