import { Injectable } from '@nestjs/common';
import { ValidationFailedError } from '@stagehook/platform';
import { checkAnnotation, type Annotation } from '../../domain/annotation.js';
import { checkAnnotations } from '../../domain/check-annotations.js';
import { ItemsQueryRepository } from '../../persistence/items.query-repository.js';
import { ItemCommands } from '../shared/item-commands.js';

/** Adds, changes and deletes an item's annotations, each checked against the item's slots first. */
@Injectable()
export class AnnotateHandler {
  constructor(
    private readonly items: ItemsQueryRepository,
    private readonly commands: ItemCommands,
  ) {}

  async add(projectId: string, itemId: string, inputs: unknown[], correlationId?: string): Promise<{ annotations: Annotation[]; version: number }> {
    const view = await this.items.requireItem(projectId, itemId);
    const annotations = checkAnnotations(inputs, view.slots, 'annotations');
    const res = await this.commands.decideOn(view, { type: 'AddAnnotations', annotations, now: new Date() }, correlationId);
    this.commands.countAnnotationsAdded(annotations.length);
    return { annotations, version: res.version };
  }

  async update(
    projectId: string,
    itemId: string,
    annotationId: string,
    input: Record<string, unknown>,
    correlationId?: string,
  ): Promise<{ annotation: Annotation; version: number }> {
    const view = await this.items.requireItem(projectId, itemId);
    const checked = checkAnnotation({ ...input, id: annotationId }, view.slots, 'body');
    if (!checked.ok) throw new ValidationFailedError(checked.errors);
    const { annotation } = checked;
    const res = await this.commands.decideOn(view, { type: 'UpdateAnnotation', annotation, now: new Date() }, correlationId);
    return { annotation, version: res.version };
  }

  async delete(projectId: string, itemId: string, annotationId: string, correlationId?: string): Promise<{ version: number }> {
    const { version } = await this.commands.decide(projectId, itemId, { type: 'DeleteAnnotation', annotationId, now: new Date() }, correlationId);
    return { version };
  }
}
