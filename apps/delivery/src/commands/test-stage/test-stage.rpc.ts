import { randomUUID } from 'node:crypto';
import { Controller } from '@nestjs/common';
import { DeliveryStageRpc, ID_PATTERN, type ItemSummary, type RpcReplyOf, type StageEnteredData, type StageTestRequest } from '@stagehook/contracts';
import { OnRequest } from '@stagehook/messaging';
import { DarwinSource } from '../../adapters/darwin-source.js';
import { DispatcherHost } from '../attempt-delivery/dispatcher.host.js';
import { renderBody } from '../../domain/payload-formats.js';
import { stageEnteredBody } from '../../domain/payload.js';
import { requestHeaders } from '../../adapters/request-headers.js';

/** V7 shows the receiver's answer under the Test button; 4 KiB is enough to read an error. */
export const STAGE_TEST_BODY_CAP = 4096;

const isId = (v: unknown): v is string => typeof v === 'string' && v.length <= 128 && ID_PATTERN.test(v);

export function parseStageTest(body: unknown): StageTestRequest | string {
  const r = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  if (!isId(r.projectId) || !isId(r.endpointId) || !isId(r.workflowId) || !isId(r.stageId)) return 'projectId, endpointId, workflowId and stageId are required ids';
  if (typeof r.stageName !== 'string' || r.stageName.length === 0 || r.stageName.length > 200) return 'stageName is required';
  if (typeof r.workflowVersion !== 'number' || !Number.isInteger(r.workflowVersion) || r.workflowVersion < 1) return 'workflowVersion is a positive integer';
  if (r.itemId !== undefined && !isId(r.itemId)) return 'itemId is an id';
  if (r.includeAnnotations !== undefined && typeof r.includeAnnotations !== 'boolean') return 'includeAnnotations is a boolean';
  return {
    projectId: r.projectId,
    endpointId: r.endpointId,
    workflowId: r.workflowId,
    workflowVersion: r.workflowVersion,
    stageId: r.stageId,
    stageName: r.stageName,
    ...(r.itemId !== undefined ? { itemId: r.itemId } : {}),
    ...(r.includeAnnotations !== undefined ? { includeAnnotations: r.includeAnnotations } : {}),
  };
}

/** What a receiver gets when the Test button is pressed without an item: shaped like a real one. */
export function sampleItem(projectId: string, version: number): { item: ItemSummary; darwin: Record<string, unknown> } {
  const item: ItemSummary = {
    id: 'sample-item',
    projectId,
    datasetId: 'sample-dataset',
    datasetName: 'Sample dataset',
    datasetSlug: 'sample-dataset',
    name: 'sample.jpg',
    path: '/',
    status: 'in_progress',
    tags: ['sample'],
    version,
    metadata: { sample: true },
    slots: [{ name: '0', type: 'image', width: 1920, height: 1080, sourceUrl: 'https://example.com/sample.jpg' }],
  };
  const darwin = {
    version: '2.0',
    schema_ref: 'https://darwin-public.s3.eu-west-1.amazonaws.com/darwin_json/2.0/schema.json',
    item: {
      name: item.name,
      path: item.path,
      source_info: { item_id: item.id, dataset: { name: item.datasetName, slug: item.datasetSlug } },
      slots: [{ type: 'image', slot_name: '0', width: 1920, height: 1080, source_files: [{ file_name: item.name, url: 'https://example.com/sample.jpg' }] }],
    },
    annotations: [{ id: 'sample-annotation', name: 'sample', slot_names: ['0'], bounding_box: { x: 10, y: 20, w: 100, h: 50 } }],
  };
  return { item, darwin };
}

/**
 * V7's stage Test button: the exact payload the stage would send — built by the same
 * `stageEnteredBody`, for the item at its current version (or a sample) — sent now to the stage's
 * endpoint with its signature and authorization header through the SSRF-safe sender. Not a
 * delivery: nothing is stored, no item is routed, the breaker neither counts it nor stops it.
 */
@Controller()
export class TestStageRpc {
  constructor(
    private readonly host: DispatcherHost,
    private readonly darwin: DarwinSource,
  ) {}

  @OnRequest(DeliveryStageRpc.stageTest)
  async test(body: unknown): Promise<RpcReplyOf<typeof DeliveryStageRpc.stageTest>> {
    const req = parseStageTest(body);
    if (typeof req === 'string') return { ok: false, code: 'invalid_request', message: req };
    const ep = await this.host.endpoints.get(req.endpointId);
    if (!ep || ep.projectId !== req.projectId || !ep.state) return { ok: false, code: 'not_found', message: `endpoint ${req.endpointId} not found` };
    const s = ep.state;
    const annotations = req.includeAnnotations ?? s.includeAnnotations ?? false;
    let item: ItemSummary;
    let darwin: Record<string, unknown> | null;
    if (req.itemId) {
      const head = await this.darwin.fetch(req.projectId, req.itemId, undefined, { annotations });
      switch (head.kind) {
        case 'ok':
          item = head.item;
          darwin = head.darwin;
          break;
        case 'refused':
          return { ok: false, code: head.reason.includes('not_found') ? 'not_found' : 'unprocessable', message: `item ${req.itemId}: ${head.reason}` };
        case 'unavailable':
        case 'error':
          return { ok: false, code: 'items_unavailable', message: head.reason };
      }
    } else {
      const sample = sampleItem(req.projectId, 1);
      item = sample.item;
      darwin = annotations ? sample.darwin : null;
    }
    const ts = Math.floor(Date.now() / 1000);
    const entered: StageEnteredData = {
      workflowId: req.workflowId,
      workflowVersion: req.workflowVersion,
      stageId: req.stageId,
      stageType: 'webhook',
      stageName: req.stageName,
      itemId: item.id,
      visitId: `test_${randomUUID()}`,
      itemVersion: item.version,
      projectId: req.projectId,
      enteredAt: new Date(ts * 1000).toISOString(),
    };
    const webhookId = `test_${randomUUID()}`;
    const sent = renderBody(s.payloadFormat, JSON.stringify(stageEnteredBody(entered, item, darwin)));
    const { headers } = requestHeaders(s, this.host.openSecret, webhookId, ts, sent);
    const res = await this.host.sender.send({ url: s.url, headers, body: sent, timeoutMs: s.timeoutMs });
    const passed = res.statusCode !== null && res.statusCode >= 200 && res.statusCode < 300;
    return {
      ok: true,
      status: res.statusCode,
      latencyMs: res.durationMs,
      responseBody: res.responseBody.slice(0, STAGE_TEST_BODY_CAP),
      passed,
      error: res.error ?? (passed ? null : `the endpoint answered ${res.statusCode}`),
      webhookId,
    };
  }
}
