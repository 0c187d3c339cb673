import type { EventTypeView } from './event-type.view.js';

/**
 * The project's whole catalogue as an AsyncAPI 3.0 document: one channel per event type (its
 * address is the type, as receivers see it in the webhook body's `type`), one message per schema
 * version, and a `send` operation per channel (Stagehook sends them to subscribed endpoints).
 * Schemas are JSON Schema 2020-12 and are declared with that schema format.
 */
export function asyncApiDocument(projectId: string, types: readonly EventTypeView[], serverUrl?: string): Record<string, unknown> {
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  types.forEach((t, i) => {
    const channelId = `ch${i}_${key(t.name)}`;
    const channelMessages: Record<string, unknown> = {};
    for (const v of t.versions) {
      const messageId = `${key(t.name)}_v${v.version}`;
      messages[messageId] = {
        name: t.name,
        title: `${t.name} v${v.version}`,
        summary: t.description,
        contentType: 'application/json',
        ...(t.deprecated && v.version === t.latestVersion ? { description: `Deprecated: ${t.deprecated.reason}` } : {}),
        headers: {
          type: 'object',
          properties: {
            'webhook-id': { type: 'string', description: 'Stable delivery id (Standard Webhooks)' },
            'webhook-timestamp': { type: 'string' },
            'webhook-signature': { type: 'string', description: 'v1,<base64 HMAC-SHA256 of id.timestamp.body>' },
          },
        },
        payload: {
          schemaFormat: 'application/schema+json;version=draft-07',
          schema: envelopeSchema(t.name, v.schema),
        },
        ...(v.examples.length > 0 ? { examples: v.examples.slice(0, 10).map((ex) => ({ payload: { type: t.name, timestamp: '2026-01-01T00:00:00.000Z', data: ex } })) } : {}),
      };
      channelMessages[messageId] = { $ref: `#/components/messages/${messageId}` };
    }
    channels[channelId] = { address: t.name, title: t.name, description: t.description, messages: channelMessages };
    operations[`send_${channelId}`] = {
      action: 'send',
      channel: { $ref: `#/channels/${channelId}` },
      messages: Object.keys(channelMessages).map((m) => ({ $ref: `#/channels/${channelId}/messages/${m}` })),
      ...(t.deprecated ? { description: `Deprecated: ${t.deprecated.reason}` } : {}),
    };
  });
  return {
    asyncapi: '3.0.0',
    info: {
      title: `Stagehook events of project ${projectId}`,
      version: '1.0.0',
      description: "Webhooks Stagehook sends: built-in item and workflow events and the project's registered custom types. Body: {type, timestamp, data}.",
    },
    ...(serverUrl ? { servers: { receiver: { host: new URL(serverUrl).host, protocol: 'https', description: 'Your endpoint' } } } : {}),
    defaultContentType: 'application/json',
    channels,
    operations,
    components: { messages },
  };
}

function key(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, '_');
}

/**
 * The Standard Webhooks body around `data`. The data schema is a JSON Schema 2020-12; its
 * `$schema` is dropped inside the envelope (it is only allowed at a resource root in draft-07 tools).
 */
function envelopeSchema(type: string, data: Record<string, unknown>): Record<string, unknown> {
  const { $schema: _s, $id: _i, ...rest } = data;
  return {
    type: 'object',
    required: ['type', 'timestamp', 'data'],
    properties: { type: { const: type }, timestamp: { type: 'string', format: 'date-time' }, data: rest },
  };
}
