import { DARWIN_SCHEMA_REF, DARWIN_VERSION, type DarwinDocument, type DarwinSlot } from '@stagehook/contracts';
import { annotationsOf, type ItemSlot, type ItemState } from './item.decider.js';

export interface ExportContext {
  dataset: { name: string; slug: string };
  /** The project, as V7's team (`source_info.team`). */
  team: { name: string; slug: string };
  /** Where a person opens the item; the item id is appended. */
  workviewBaseUrl: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * One slot: what Stagehook knows (name, type, size, URLs) over V7's keys for it as imported
 * (fps, frame_urls, metadata, its source_files, …), which are given back unchanged.
 */
function slotOf(slot: ItemSlot, fileName: string, imported: Record<string, unknown> | undefined): DarwinSlot {
  const given = imported ?? {};
  const sourceFiles = Array.isArray(given.source_files)
    ? (given.source_files as DarwinSlot['source_files'])
    : [{ file_name: fileName, ...(slot.sourceUrl ? { url: slot.sourceUrl } : {}) }];
  const out: DarwinSlot = { ...given, type: slot.type, slot_name: slot.name, source_files: sourceFiles };
  if (slot.width !== null) out.width = slot.width;
  if (slot.height !== null) out.height = slot.height;
  if (slot.thumbnailUrl) out.thumbnail_url = slot.thumbnailUrl;
  return out;
}

/** The item as a Darwin JSON 2.0 document; a pure function of the folded state. */
export function toDarwin(state: ItemState, ctx: ExportContext): DarwinDocument {
  const imported = new Map((state.darwin.slots ?? []).filter(isObject).map((s) => [String(s.slot_name), s]));
  const given = state.darwin.sourceInfo ?? {};
  const doc: DarwinDocument = {
    ...state.darwin.extra,
    version: DARWIN_VERSION,
    schema_ref: DARWIN_SCHEMA_REF,
    item: {
      ...state.darwin.itemExtra,
      name: state.name,
      path: state.path,
      // The imported source_info is kept as given, except the four keys that say where the item
      // is: they name it in Stagehook (the given values stay in the item's history).
      source_info: {
        ...given,
        item_id: state.itemId,
        dataset: { ...(isObject(given.dataset) ? given.dataset : {}), name: ctx.dataset.name, slug: ctx.dataset.slug },
        // Projects play the part of V7 teams.
        team: { name: ctx.team.name, slug: ctx.team.slug },
        workview_url: `${ctx.workviewBaseUrl.replace(/\/$/, '')}/${state.itemId}`,
      },
      slots: state.slots.map((s, i) => slotOf(s, i === 0 ? state.name : s.name, imported.get(s.name))),
    },
    annotations: [...annotationsOf(state).values()],
  };
  if (state.darwin.properties !== undefined) doc.properties = state.darwin.properties;
  return doc;
}
