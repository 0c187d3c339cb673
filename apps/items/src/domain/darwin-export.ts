import { DARWIN_DEFAULT_SLOT, DARWIN_SCHEMA_REF, DARWIN_VERSION, type DarwinDocument } from '@stagehook/contracts';
import { annotationsOf, type ItemState } from './item.decider.js';

export interface ExportContext {
  dataset: { name: string; slug: string };
  /** Where a person opens the item; the item id is appended. */
  workviewBaseUrl: string;
}

/** The item as a Darwin JSON 2.0 document; a pure function of the folded state. */
export function toDarwin(state: ItemState, ctx: ExportContext): DarwinDocument {
  const fileName = state.name;
  return {
    version: DARWIN_VERSION,
    schema_ref: DARWIN_SCHEMA_REF,
    item: {
      name: state.name,
      path: state.path,
      source_info: {
        item_id: state.itemId,
        dataset: { name: ctx.dataset.name, slug: ctx.dataset.slug },
        // Projects play the part of V7 teams.
        team: { name: state.projectId, slug: state.projectId },
        workview_url: `${ctx.workviewBaseUrl.replace(/\/$/, '')}/${state.itemId}`,
      },
      slots: [
        {
          type: state.slot.type,
          slot_name: DARWIN_DEFAULT_SLOT,
          width: state.slot.width,
          height: state.slot.height,
          ...(state.slot.thumbnailUrl ? { thumbnail_url: state.slot.thumbnailUrl } : {}),
          source_files: [{ file_name: fileName, ...(state.slot.sourceUrl ? { url: state.slot.sourceUrl } : {}) }],
        },
      ],
    },
    annotations: [...annotationsOf(state).values()],
  };
}
