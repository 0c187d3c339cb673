import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { shapeOf, type Annotation } from '../../domain/annotation.js';
import { checkAnnotations } from '../../domain/check-annotations.js';
import type { DarwinImport } from '../../domain/darwin-import.js';
import type { ItemCommand } from '../../domain/item.decider.js';
import { ItemsRepository } from '../../persistence/items.repository.js';
import { ItemCommands } from '../shared/item-commands.js';

export interface ImportResult {
  itemId: string;
  imported: number;
  /** Annotations kept as given because Stagehook does not interpret their main shape, by shape (`frames` for video). */
  keptOpaque: Record<string, number>;
  /** Always empty: nothing is skipped any more (kept for clients that read it). */
  skipped: Record<string, number>;
  version: number;
}

const INTERPRETED = ['polygon', 'line', 'keypoint', 'ellipse', 'tag', 'bounding_box'] as const;

@Injectable()
export class ImportDarwinHandler {
  constructor(
    private readonly repo: ItemsRepository,
    private readonly commands: ItemCommands,
  ) {}

  /**
   * Adds a V7 export's annotations with their ids, and records the document's item-level part
   * (properties, source_info, slots as V7 describes them). Every annotation is kept: shapes we do
   * not interpret are stored as given; one malformed annotation fails the whole import (400).
   */
  async importOne(projectId: string, itemId: string, doc: DarwinImport, correlationId?: string, pathPrefix = 'annotations', manager?: EntityManager): Promise<ImportResult> {
    let checked: Annotation[] = [];
    const res = await this.commands.decide(
      projectId,
      itemId,
      (state): ItemCommand => {
        checked = checkAnnotations(doc.annotations, state.slots, pathPrefix);
        return { type: 'AddAnnotations', annotations: checked, now: new Date(), darwin: doc.item };
      },
      correlationId,
      manager,
    );
    const keptOpaque: Record<string, number> = {};
    for (const a of checked) {
      const shape = shapeOf(a);
      if (!(INTERPRETED as readonly string[]).includes(shape)) keptOpaque[shape] = (keptOpaque[shape] ?? 0) + 1;
    }
    // Inside a caller's transaction the caller counts, once it has committed.
    if (!manager) this.commands.countAnnotationsAdded(checked.length);
    return { itemId, imported: checked.length, keptOpaque, skipped: {}, version: res.version };
  }

  /** Imports several documents in one transaction: every item gets its annotations, or none does. */
  async importMany(projectId: string, docs: { itemId: string; doc: DarwinImport; pathPrefix: string }[], correlationId?: string): Promise<ImportResult[]> {
    const results = await this.repo.transaction(async (tx) => {
      const out: ImportResult[] = [];
      for (const d of docs) out.push(await this.importOne(projectId, d.itemId, d.doc, correlationId, d.pathPrefix, tx));
      return out;
    });
    this.commands.countAnnotationsAdded(results.reduce((n, r) => n + r.imported, 0));
    return results;
  }
}
