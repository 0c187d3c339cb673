import { Injectable } from '@nestjs/common';
import { ValidationFailedError } from '@stagehook/platform';
import { checkAnnotation, type Annotation } from '../../domain/annotation.js';
import { checkAnnotations } from '../../domain/check-annotations.js';
import { ItemCommands } from '../shared/item-commands.js';

/** Adds, changes and deletes an item's annotations, each checked against the slots of the item state it is decided on. */
@Injectable()
export class AnnotateHandler {
  constructor(private readonly commands: ItemCommands) {}

  async add(projectId: string, itemId: string, inputs: unknown[], correlationId?: string): Promise<{ annotations: Annotation[]; version: number }> {
    let annotations: Annotation[] = [];
    const res = await this.commands.decide(
      projectId,
      itemId,
      (state) => {
        annotations = checkAnnotations(inputs, state.slots, 'annotations');
        return { type: 'AddAnnotations', annotations, now: new Date() };
      },
      correlationId,
    );
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
    let annotation: Annotation | undefined;
    const res = await this.commands.decide(
      projectId,
      itemId,
      (state) => {
        const checked = checkAnnotation({ ...input, id: annotationId }, state.slots, 'body');
        if (!checked.ok) throw new ValidationFailedError(checked.errors);
        annotation = checked.annotation;
        return { type: 'UpdateAnnotation', annotation, now: new Date() };
      },
      correlationId,
    );
    return { annotation: annotation!, version: res.version };
  }

  async delete(projectId: string, itemId: string, annotationId: string, correlationId?: string): Promise<{ version: number }> {
    const { version } = await this.commands.decide(projectId, itemId, { type: 'DeleteAnnotation', annotationId, now: new Date() }, correlationId);
    return { version };
  }
}
