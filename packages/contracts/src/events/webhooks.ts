import type { EventSpec } from '../spec.js';

/**
 * Events of the webhook registry (`webhook.endpoint.*`). WIRE NAMES: never rename without a
 * migration. Secrets never travel here in clear.
 */
export const WebhookEvents = {} as const satisfies Record<string, EventSpec>;
