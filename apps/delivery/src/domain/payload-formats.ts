import type { ContextBlock, HeaderBlock, KnownBlock, SectionBlock } from '@slack/types';
import type { PayloadFormat } from '@stagehook/contracts';

/**
 * An endpoint's payload format, applied to the frozen standard body when a request is made:
 * a pure function of the stored bytes, so every retry of a delivery sends (and signs) the same
 * bytes. `standard` sends the body as stored.
 */
export function renderBody(format: PayloadFormat | undefined, stored: string): string {
  if (format === undefined || format === 'standard') return stored;
  let body: StoredBody;
  try {
    body = JSON.parse(stored) as StoredBody;
  } catch {
    return stored;
  }
  return JSON.stringify(format === 'darwin' ? darwinBody(body) : slackBody(body));
}

interface StoredBody {
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * V7's webhook payload: the item's Darwin JSON 2.0 document at the top level, with the workflow,
 * stage and visit it was sent from beside it, so a receiver written for V7 reads it unchanged.
 * A metadata-only stage gets the document's item part without `annotations`; events that are
 * not webhook stage entries keep the standard envelope (they carry no Darwin document).
 */
function darwinBody(b: StoredBody): Json {
  if (b.type !== 'workflow.stage.entered') return { type: b.type, timestamp: b.timestamp, data: b.data };
  const d = b.data;
  const beside = {
    workflow: { id: d.workflowId, version: d.workflowVersion },
    stage: { id: d.stageId, name: d.stageName },
    visit: { id: d.visitId, entered_at: d.enteredAt, item_version: d.itemVersion },
  };
  if (isObject(d.annotations)) return { ...d.annotations, ...beside };
  const item = isObject(d.item) ? d.item : {};
  const slots = Array.isArray(item.slots) ? (item.slots as Json[]) : [];
  return {
    version: '2.0',
    item: {
      name: item.name,
      path: item.path,
      source_info: { item_id: d.itemId, dataset: isObject(item.dataset) ? item.dataset : {} },
      slots: slots.map((s) => ({
        slot_name: s.name,
        type: s.type,
        ...(s.width !== null ? { width: s.width } : {}),
        ...(s.height !== null ? { height: s.height } : {}),
        ...(s.sourceUrl ? { source_files: [{ url: s.sourceUrl }] } : {}),
      })),
    },
    ...beside,
  };
}

/** Slack: `&`, `<` and `>` are control characters in message text (docs: formatting text). */
function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Slack caps a section's text at 3,000 characters and a header's at 150. */
function cap(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}

/**
 * A Slack incoming-webhook message (`text` for notifications, `blocks` for the message): what
 * happened to which item, in which stage, its tags, and a link when the payload has one — the
 * seed's "urgent tag → Slack" without a Zapier step in between.
 */
function slackBody(b: StoredBody): { text: string; blocks: KnownBlock[] } {
  const d = b.data;
  const item = isObject(d.item) ? d.item : {};
  const darwinItem = isObject(d.annotations) && isObject(d.annotations.item) ? d.annotations.item : {};
  const itemName = str(item.name) ?? str(d.itemName) ?? str(darwinItem.name) ?? str(d.itemId) ?? 'an item';
  const tags = Array.isArray(item.tags) ? (item.tags as unknown[]).filter((t): t is string => typeof t === 'string') : [];
  const link = isObject(darwinItem.source_info) ? str(darwinItem.source_info.workview_url) : undefined;
  const name = link ? `<${link}|${esc(itemName)}>` : `*${esc(itemName)}*`;
  let headline: string;
  switch (b.type) {
    case 'workflow.stage.entered':
      headline = `${name} entered stage *${esc(str(d.stageName) ?? str(d.stageId) ?? '?')}*`;
      break;
    case 'item.status.changed':
      headline = `${name}: ${esc(str(d.oldStatus) ?? '?')} → *${esc(str(d.newStatus) ?? '?')}*${str(d.changedBy) ? ` by ${esc(str(d.changedBy)!)}` : ''}`;
      break;
    case 'item.tag.added':
    case 'item.tag.removed': {
      const tag = str(d.name) ?? (isObject(d.annotation) ? str(d.annotation.name) : undefined) ?? '?';
      headline = `Tag *${esc(tag)}* ${b.type === 'item.tag.added' ? 'added to' : 'removed from'} ${name}`;
      break;
    }
    case 'webhook.test':
      headline = 'Stagehook test message: this endpoint receives Slack-formatted webhooks';
      break;
    default:
      headline = `*${esc(b.type)}*${str(d.itemId) ? ` on ${name}` : ''}`;
  }
  const facts = [
    isObject(item.dataset) && str(item.dataset.name) ? `Dataset: ${esc(str(item.dataset.name)!)}` : undefined,
    tags.length > 0 ? `Tags: ${tags.map((t) => `\`${esc(t)}\``).join(' ')}` : undefined,
    typeof d.itemVersion === 'number' ? `Version ${d.itemVersion}` : undefined,
    `${esc(b.type)} · ${esc(b.timestamp)}`,
  ].filter((x): x is string => x !== undefined);
  const header: HeaderBlock = { type: 'header', text: { type: 'plain_text', text: cap(`Stagehook: ${b.type}`, 150) } };
  const section: SectionBlock = { type: 'section', text: { type: 'mrkdwn', text: cap(headline, 3000) } };
  const context: ContextBlock = { type: 'context', elements: facts.slice(0, 10).map((t) => ({ type: 'mrkdwn' as const, text: cap(t, 3000) })) };
  return { text: cap(headline.replace(/[*`]/g, ''), 3000), blocks: [header, section, context] };
}
