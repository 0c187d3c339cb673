import { Body, Controller, Delete, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Actor, ProjectId, RequestId, type TokenActor } from '@stagehook/platform';
import { annotatorsFor } from '../../domain/actor.js';
import type { Annotation } from '../../domain/annotation.js';
import { ItemIdParams } from '../../queries/query-items/query-items.dto.js';
import { AddAnnotationsDto, AnnotationDto, AnnotationParams } from './annotate.dto.js';
import { AnnotateHandler } from './annotate.handler.js';

@ApiTags('annotations')
@ApiBearerAuth()
@Controller('items/:itemId/annotations')
export class AnnotateController {
  constructor(private readonly handler: AnnotateHandler) {}

  /** Adds one annotation. */
  @Post()
  @HttpCode(201)
  async addOne(
    @ProjectId() projectId: string,
    @Actor() actor: TokenActor | undefined,
    @Param() p: ItemIdParams,
    @Body() body: AnnotationDto,
    @RequestId() rid?: string,
  ): Promise<{ annotation: Annotation; version: number }> {
    const { annotations, version } = await this.handler.add(projectId, p.itemId, annotatorsFor(actor, [{ ...body }], 'annotations'), rid);
    return { annotation: annotations[0], version };
  }

  /** Adds many annotations at once: all of them or, on any bad field, none. */
  @Post('bulk')
  @HttpCode(201)
  addMany(
    @ProjectId() projectId: string,
    @Actor() actor: TokenActor | undefined,
    @Param() p: ItemIdParams,
    @Body() body: AddAnnotationsDto,
    @RequestId() rid?: string,
  ): Promise<{ annotations: Annotation[]; version: number }> {
    return this.handler.add(
      projectId,
      p.itemId,
      annotatorsFor(
        actor,
        body.annotations.map((a) => ({ ...a })),
        'annotations',
      ),
      rid,
    );
  }

  @Put(':annotationId')
  update(
    @ProjectId() projectId: string,
    @Param() p: AnnotationParams,
    @Body() body: AnnotationDto,
    @RequestId() rid?: string,
  ): Promise<{ annotation: Annotation; version: number }> {
    const { id: _ignored, ...rest } = body;
    return this.handler.update(projectId, p.itemId, p.annotationId, { ...rest }, rid);
  }

  @Delete(':annotationId')
  remove(@ProjectId() projectId: string, @Param() p: AnnotationParams, @RequestId() rid?: string): Promise<{ version: number }> {
    return this.handler.delete(projectId, p.itemId, p.annotationId, rid);
  }
}
