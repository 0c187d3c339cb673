// The Darwin fidelity check (issue 13): every Darwin JSON 2.0 document of darwin-py's
// e2e_tests/data/import (copied to test/fixtures/darwin-py) goes into a running items service
// over HTTP, the item is exported, and every annotation is compared with the one sent, by
// meaning: key order does not count, nor does a missing `slot_names` (V7 puts it on the item's
// first slot); anything else must come back as it went in.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'darwin-py', 'import');

/**
 * Sets V7 itself refuses (darwin-py's own e2e test expects the refusal): a 400 naming the field
 * is the right answer there, and counts as faithful. The annotations' fate is then "refused".
 */
export const EXPECTED_REFUSALS: Record<string, string> = {
  // test_import_annotations_to_multi_channel_item_non_base_slot: "blocking issues and will not be imported"
  multi_channel_annotations_aligned_with_non_base_slot: 'slot_names',
};

/** Top-level annotation keys Stagehook interprets; any other shape or key is kept opaque. */
const INTERPRETED_SHAPES = ['polygon', 'line', 'keypoint', 'ellipse', 'tag', 'bounding_box'];

type Obj = Record<string, unknown>;
type Call = (method: string, path: string, body?: unknown) => Promise<{ status: number; json: Obj }>;

export interface SetResult {
  set: string;
  documents: number;
  /** Documents the service accepted (or refused where V7 refuses too). */
  documentsFaithful: number;
  annotationsIn: number;
  annotationsEqual: number;
  /** Annotations whose main shape Stagehook does not interpret (mask, skeleton, video frames, …), stored as given. */
  keptOpaque: number;
  /** Annotations refused on purpose (EXPECTED_REFUSALS). */
  refusedAsV7: number;
  itemPropertiesEqual: number;
  items: number;
  problems: string[];
}

export interface FidelityReport {
  sets: SetResult[];
  totals: Omit<SetResult, 'set' | 'problems'> & { percentEqual: number };
}

export function fixtureSets(): { set: string; files: string[] }[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir)
      .sort()
      .flatMap((f) => {
        const p = join(dir, f);
        return statSync(p).isDirectory() ? walk(p) : p.endsWith('.json') ? [p] : [];
      });
  return readdirSync(FIXTURES)
    .sort()
    .map((set) => ({ set, files: walk(join(FIXTURES, set)) }))
    .filter((s) => s.files.length > 0);
}

/** The annotation as it means: slot_names defaulted to the item's first slot. */
function meaning(a: Obj, firstSlot: string): Obj {
  return { ...a, slot_names: a.slot_names ?? [firstSlot] };
}

export function keptOpaque(a: Obj): boolean {
  return !Object.keys(a).some((k) => INTERPRETED_SHAPES.includes(k));
}

/** The slots to register an item with, from the document's `item.slots`. */
function slotsOf(doc: Obj): Obj[] {
  const item = doc.item as Obj;
  return (item.slots as Obj[]).map((s) => ({
    name: s.slot_name,
    type: s.type,
    ...(typeof s.width === 'number' ? { width: s.width } : {}),
    ...(typeof s.height === 'number' ? { height: s.height } : {}),
  }));
}

/** Where the item now is: Stagehook names these itself; every other item key must come back as given. */
const LOCATING = ['item_id', 'team', 'workview_url'];

function itemDifferences(name: string, sent: Obj, back: Obj): string[] {
  const out: string[] = [];
  if (back.name !== sent.name || back.path !== sent.path) out.push(`${name}: item name/path came back as ${String(back.name)} ${String(back.path)}`);
  const given = (sent.source_info ?? {}) as Obj;
  const got = (back.source_info ?? {}) as Obj;
  for (const [k, v] of Object.entries(given)) {
    if (LOCATING.includes(k)) continue;
    const expected = k === 'dataset' ? { ...(v as Obj), name: (got.dataset as Obj).name, slug: (got.dataset as Obj).slug } : v;
    if (!isDeepStrictEqual(got[k], expected)) out.push(`${name}: source_info.${k} came back as ${JSON.stringify(got[k])}`);
  }
  const slots = new Map(((back.slots ?? []) as Obj[]).map((x) => [x.slot_name, x]));
  for (const slot of (sent.slots ?? []) as Obj[]) {
    if (!isDeepStrictEqual(slots.get(slot.slot_name), slot))
      out.push(`${name}: slot ${String(slot.slot_name)} came back as ${JSON.stringify(slots.get(slot.slot_name)).slice(0, 300)}`);
  }
  return out;
}

export async function runFidelity(call: Call): Promise<FidelityReport> {
  const sets: SetResult[] = [];
  for (const { set, files } of fixtureSets()) {
    const r: SetResult = {
      set,
      documents: files.length,
      documentsFaithful: 0,
      annotationsIn: 0,
      annotationsEqual: 0,
      keptOpaque: 0,
      refusedAsV7: 0,
      itemPropertiesEqual: 0,
      items: 0,
      problems: [],
    };
    sets.push(r);
    const ds = await call('POST', '/datasets', { name: `darwin-py ${set}`, slug: `dp-${set.replace(/_/g, '-').slice(0, 80)}` });
    if (ds.status !== 201) {
      r.problems.push(`dataset: ${ds.status} ${JSON.stringify(ds.json)}`);
      continue;
    }
    const datasetId = ds.json.id as string;
    const docs = files.map((f) => ({ file: relative(FIXTURES, f), doc: JSON.parse(readFileSync(f, 'utf8')) as Obj }));
    // One item per item name; split files add to the same item.
    const byName = new Map<string, { itemId?: string; first: Obj; sent: Map<string, Obj>; properties: unknown; item?: Obj }>();
    for (const { doc } of docs) {
      const name = (doc.item as Obj).name as string;
      if (!byName.has(name)) byName.set(name, { first: doc, sent: new Map(), properties: undefined });
    }
    r.items = byName.size;
    const reg = await call('POST', '/items', { datasetId, items: [...byName.entries()].map(([name, v]) => ({ name, path: (v.first.item as Obj).path, slots: slotsOf(v.first) })) });
    if (reg.status !== 201) {
      r.problems.push(`register: ${reg.status} ${JSON.stringify(reg.json).slice(0, 500)}`);
      for (const { doc } of docs) r.annotationsIn += (doc.annotations as unknown[]).length;
      continue;
    }
    for (const it of reg.json.items as Obj[]) byName.get(it.name as string)!.itemId = it.id as string;

    for (const { file, doc } of docs) {
      const annotations = doc.annotations as Obj[];
      r.annotationsIn += annotations.length;
      const entry = byName.get((doc.item as Obj).name as string)!;
      const res = await call('POST', `/items/${entry.itemId}/darwin`, doc);
      const refusal = EXPECTED_REFUSALS[set];
      if (refusal) {
        const named = res.status === 400 && JSON.stringify(res.json.fields ?? []).includes(refusal);
        if (named) {
          r.documentsFaithful++;
          r.refusedAsV7 += annotations.length;
        } else r.problems.push(`${file}: expected a 400 naming ${refusal} (V7 refuses it), got ${res.status}`);
        continue;
      }
      if (res.status !== 200) {
        r.problems.push(`${file}: import ${res.status} ${JSON.stringify(res.json).slice(0, 400)}`);
        continue;
      }
      r.documentsFaithful++;
      for (const a of annotations) entry.sent.set(a.id as string, a);
      if (doc.properties !== undefined) entry.properties = doc.properties;
      entry.item = doc.item as Obj;
    }

    for (const [name, entry] of byName) {
      if (entry.sent.size === 0 && entry.properties === undefined) continue;
      const exp = await call('GET', `/items/${entry.itemId}/darwin`);
      if (exp.status !== 200) {
        r.problems.push(`${name}: export ${exp.status}`);
        continue;
      }
      const firstSlot = ((entry.first.item as Obj).slots as Obj[])[0].slot_name as string;
      const out = new Map((exp.json.annotations as Obj[]).map((a) => [a.id as string, a]));
      for (const [id, a] of entry.sent) {
        const back = out.get(id);
        if (keptOpaque(a)) r.keptOpaque++;
        if (back && isDeepStrictEqual(meaning(a, firstSlot), meaning(back, firstSlot))) r.annotationsEqual++;
        else r.problems.push(`${name} annotation ${id} (${a.name as string}): ${back ? `came back as ${JSON.stringify(back).slice(0, 300)}` : 'missing from the export'}`);
      }
      if (entry.properties === undefined || isDeepStrictEqual(exp.json.properties, entry.properties)) r.itemPropertiesEqual++;
      else r.problems.push(`${name}: item properties came back as ${JSON.stringify(exp.json.properties)}`);
      if (entry.item) r.problems.push(...itemDifferences(name, entry.item, exp.json.item as Obj));
    }
  }
  const sum = (k: keyof Omit<SetResult, 'set' | 'problems'>) => sets.reduce((n, s) => n + s[k], 0);
  const totals = {
    documents: sum('documents'),
    documentsFaithful: sum('documentsFaithful'),
    annotationsIn: sum('annotationsIn'),
    annotationsEqual: sum('annotationsEqual'),
    keptOpaque: sum('keptOpaque'),
    refusedAsV7: sum('refusedAsV7'),
    itemPropertiesEqual: sum('itemPropertiesEqual'),
    items: sum('items'),
  };
  const comparable = totals.annotationsIn - totals.refusedAsV7;
  return { sets, totals: { ...totals, percentEqual: comparable === 0 ? 100 : Math.round((10_000 * totals.annotationsEqual) / comparable) / 100 } };
}

/** The report as the table `npm run fidelity` prints; the last line is one JSON object. */
export function formatReport(rep: FidelityReport): string {
  const head = ['set', 'documents', 'annotations in', 'annotations equal', 'kept opaque', 'refused as V7'];
  const rows = rep.sets.map((s) => [
    s.set,
    `${s.documentsFaithful}/${s.documents}`,
    String(s.annotationsIn),
    String(s.annotationsEqual),
    String(s.keptOpaque),
    String(s.refusedAsV7),
  ]);
  const t = rep.totals;
  rows.push([
    'TOTAL',
    `${t.documentsFaithful}/${t.documents}`,
    String(t.annotationsIn),
    `${t.annotationsEqual} (${t.percentEqual} %)`,
    String(t.keptOpaque),
    String(t.refusedAsV7),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const problems = rep.sets.flatMap((s) => s.problems.map((p) => `  ${s.set}: ${p}`));
  return [line(head), ...rows.map(line), ...(problems.length > 0 ? ['problems:', ...problems] : []), JSON.stringify({ fidelity: t })].join('\n');
}
