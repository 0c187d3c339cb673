import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { EventMetadata, ItemStatus, ItemSummary, DarwinDocument } from '@stagehook/contracts';
import { MetricsService, NotFoundError, ValidationFailedError, type FieldError } from '@stagehook/platform';
import type { StoredEvent } from '@stagehook/event-store';
import type { Counter } from 'prom-client';
import type { EntityManager } from 'typeorm';
import { checkAnnotation, shapeOf, type Annotation } from '../domain/annotation.js';
import type { DarwinImport } from '../domain/darwin-import.js';
import { toDarwin } from '../domain/darwin-export.js';
import { DatasetNotFoundError, ItemNotFoundError } from '../domain/errors.js';
import { annotationsOf, type ItemCommand, type ItemSlot, type ItemState } from '../domain/item.decider.js';
import { ItemsConfig } from '../config.js';
import { ItemsRepository, toSummary, type Dataset, type ItemFilter, type ItemView } from '../persistence/items.repository.js';

export interface NewItem {
  name: string;
  path: string;
  slots: ItemSlot[];
  metadata: Record<string, unknown>;
}

export interface ImportResult {
  itemId: string;
  imported: number;
  /** Annotations kept as given because Stagehook does not interpret their main shape, by shape (`frames` for video). */
  keptOpaque: Record<string, number>;
  /** Always empty: nothing is skipped any more (kept for clients that read it). */
  skipped: Record<string, number>;
  version: number;
}

export interface ItemResponse extends ItemView {
  annotations?: Annotation[];
}

const metadataFor = (projectId: string, correlationId?: string): EventMetadata => ({
  source: 'items',
  projectId,
  ...(correlationId ? { correlationId } : {}),
});

/** The use cases' shared shell: load, check, decide through the repository, answer. */
@Injectable()
export class ItemsService {
  private readonly annotationsAdded: Counter;

  constructor(
    private readonly repo: ItemsRepository,
    @Inject(ItemsConfig) private readonly config: ItemsConfig,
    metrics: MetricsService,
  ) {
    this.annotationsAdded = metrics.counter({ name: 'stagehook_items_annotations_added_total', help: 'Annotations added (REST, bulk and import)' });
  }

  async requireDataset(projectId: string, datasetId: string): Promise<Dataset> {
    const ds = await this.repo.dataset(projectId, datasetId);
    if (!ds) throw new DatasetNotFoundError(datasetId);
    return ds;
  }

  /** The item's read model if it belongs to the project; another project's item is a 404. */
  async requireItem(projectId: string, itemId: string): Promise<ItemView> {
    const view = await this.repo.view(itemId);
    if (!view || view.projectId !== projectId) throw new ItemNotFoundError(itemId);
    return view;
  }

  async register(projectId: string, datasetId: string, items: NewItem[], correlationId?: string): Promise<ItemView[]> {
    await this.requireDataset(projectId, datasetId);
    const names = new Set<string>();
    const dupes: FieldError[] = [];
    items.forEach((it, i) => {
      if (names.has(it.name)) dupes.push({ path: `items[${i}].name`, messages: ['is repeated in this request'] });
      names.add(it.name);
    });
    if (dupes.length > 0) throw new ValidationFailedError(dupes);
    const at = new Date().toISOString();
    const commands = items.map((it) => ({ type: 'RegisterItem' as const, itemId: randomUUID(), projectId, datasetId, ...it, at }));
    await this.repo.registerMany(commands, metadataFor(projectId, correlationId));
    const views = await Promise.all(commands.map((c) => this.repo.view(c.itemId)));
    return views.filter((v): v is ItemView => v !== undefined);
  }

  async get(projectId: string, itemId: string, withAnnotations: boolean): Promise<ItemResponse> {
    const view = await this.requireItem(projectId, itemId);
    if (!withAnnotations) return view;
    const { state } = await this.repo.load(itemId);
    return { ...view, annotations: [...annotationsOf(state).values()] };
  }

  list(projectId: string, filter: ItemFilter): Promise<{ items: ItemView[]; nextCursor: string | null }> {
    return this.repo.list(projectId, filter);
  }

  /** Checks every annotation against the image first: one bad field and nothing is written. */
  checkAll(inputs: unknown[], view: ItemView, pathPrefix: string, indices?: number[]): Annotation[] {
    const errors: FieldError[] = [];
    const out: Annotation[] = [];
    inputs.forEach((input, i) => {
      const r = checkAnnotation(input, view.slots, `${pathPrefix}[${indices ? indices[i] : i}]`);
      if (r.ok) out.push(r.annotation);
      else errors.push(...r.errors);
    });
    if (errors.length > 0) throw new ValidationFailedError(errors);
    return out;
  }

  async addAnnotations(projectId: string, itemId: string, inputs: unknown[], correlationId?: string): Promise<{ annotations: Annotation[]; version: number }> {
    const view = await this.requireItem(projectId, itemId);
    const annotations = this.checkAll(inputs, view, 'annotations');
    const res = await this.decide(projectId, itemId, { type: 'AddAnnotations', annotations, at: new Date().toISOString() }, correlationId);
    this.annotationsAdded.inc(annotations.length);
    return { annotations, version: res.version };
  }

  async updateAnnotation(
    projectId: string,
    itemId: string,
    annotationId: string,
    input: Record<string, unknown>,
    correlationId?: string,
  ): Promise<{ annotation: Annotation; version: number }> {
    const view = await this.requireItem(projectId, itemId);
    const checked = checkAnnotation({ ...input, id: annotationId }, view.slots, 'body');
    if (!checked.ok) throw new ValidationFailedError(checked.errors);
    const { annotation } = checked;
    const res = await this.decide(projectId, itemId, { type: 'UpdateAnnotation', annotation, at: new Date().toISOString() }, correlationId);
    return { annotation, version: res.version };
  }

  async decide(projectId: string, itemId: string, command: ItemCommand, correlationId?: string, manager?: EntityManager): Promise<{ state: ItemState; version: number }> {
    await this.requireItem(projectId, itemId);
    const res = await this.repo.handle(itemId, command, metadataFor(projectId, correlationId), manager);
    return { state: res.state, version: res.version };
  }

  async changeStatus(
    projectId: string,
    itemId: string,
    to: ItemStatus,
    changedBy: string,
    reason: string | null,
    correlationId?: string,
  ): Promise<{ status: ItemStatus; version: number }> {
    const view = await this.requireItem(projectId, itemId);
    const dataset = (await this.repo.dataset(projectId, view.datasetId)) ?? null;
    const command: ItemCommand = { type: 'ChangeStatus', to, changedBy, reason, source: 'manual', at: new Date().toISOString(), dataset };
    const res = await this.repo.handle(itemId, command, metadataFor(projectId, correlationId));
    return { status: res.state.status, version: res.version };
  }

  async history(projectId: string, itemId: string, afterVersion: number, limit: number): Promise<{ events: StoredEvent[]; nextAfterVersion: number | null }> {
    const view = await this.requireItem(projectId, itemId);
    const events = await this.repo.history(itemId, afterVersion, limit);
    const last = events.length > 0 ? events[events.length - 1].streamVersion : afterVersion;
    return { events, nextAfterVersion: last < view.version ? last : null };
  }

  /** The item's latest summary from the read model (kept in step with the stream by the inline projection). */
  /** The item now, or as of `version` (its status and tags then; 404 `version_not_found` beyond its head). */
  async head(projectId: string, itemId: string, version?: number): Promise<ItemSummary> {
    const view = await this.requireItem(projectId, itemId);
    const dataset = await this.repo.dataset(projectId, view.datasetId);
    if (!dataset) throw new NotFoundError(`dataset of item ${itemId} not found`);
    if (version === undefined || version === view.version) return toSummary(view, dataset);
    const { state, version: at } = await this.repo.load(itemId, version);
    return toSummary(view, dataset, state, at);
  }

  /** The Darwin document exactly as of `version` (latest when absent), and the item summary then. */
  async exportDarwin(projectId: string, itemId: string, version?: number): Promise<{ item: ItemSummary; darwin: DarwinDocument }> {
    // The project's name does not depend on the item: asked alongside, not after.
    const [view, team] = await Promise.all([this.requireItem(projectId, itemId), this.repo.project(projectId)]);
    const dataset = await this.repo.dataset(projectId, view.datasetId);
    if (!dataset) throw new NotFoundError(`dataset of item ${itemId} not found`);
    const { state, version: at } = await this.repo.load(itemId, version);
    return {
      item: toSummary(view, dataset, state, at),
      darwin: toDarwin(state, { dataset, team, workviewBaseUrl: this.config.WORKVIEW_BASE_URL }),
    };
  }

  /**
   * Adds a V7 export's annotations with their ids, and records the document's item-level part
   * (properties, source_info, slots as V7 describes them). Every annotation is kept: shapes we do
   * not interpret are stored as given; one malformed annotation fails the whole import (400).
   */
  async importDarwin(projectId: string, itemId: string, doc: DarwinImport, correlationId?: string, pathPrefix = 'annotations', manager?: EntityManager): Promise<ImportResult> {
    const view = await this.requireItem(projectId, itemId);
    const checked = this.checkAll(doc.annotations, view, pathPrefix);
    const keptOpaque: Record<string, number> = {};
    for (const a of checked) {
      const shape = shapeOf(a);
      if (!(INTERPRETED as readonly string[]).includes(shape)) keptOpaque[shape] = (keptOpaque[shape] ?? 0) + 1;
    }
    const command: ItemCommand = { type: 'AddAnnotations', annotations: checked, at: new Date().toISOString(), darwin: doc.item };
    const res = await this.decide(projectId, itemId, command, correlationId, manager);
    // Inside a caller's transaction the caller counts, once it has committed.
    if (!manager) this.annotationsAdded.inc(checked.length);
    return { itemId, imported: checked.length, keptOpaque, skipped: {}, version: res.version };
  }

  /** Imports several documents in one transaction: every item gets its annotations, or none does. */
  async importMany(projectId: string, docs: { itemId: string; doc: DarwinImport; pathPrefix: string }[], correlationId?: string): Promise<ImportResult[]> {
    const results = await this.repo.transaction(async (tx) => {
      const out: ImportResult[] = [];
      for (const d of docs) out.push(await this.importDarwin(projectId, d.itemId, d.doc, correlationId, d.pathPrefix, tx));
      return out;
    });
    this.annotationsAdded.inc(results.reduce((n, r) => n + r.imported, 0));
    return results;
  }

  async itemIdsByName(datasetId: string, names: string[]): Promise<Map<string, string>> {
    return this.repo.idsByName(datasetId, names);
  }
}

const INTERPRETED = ['polygon', 'line', 'keypoint', 'ellipse', 'tag', 'bounding_box'] as const;
