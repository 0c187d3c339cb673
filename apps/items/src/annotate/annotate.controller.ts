import { Body, Controller, Delete, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Actor, ProjectId, RequestId, type TokenActor } from '@stagehook/platform';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, ValidateNested } from 'class-validator';
import { annotatorsFor } from '../domain/actor.js';
import type { Annotation } from '../domain/annotation.js';
import { AnnotationDto, AnnotationParams, ItemIdParams } from '../items/dto.js';
import { ItemsService } from '../items/items.service.js';

export class AddAnnotationsDto {
  @ApiProperty({ type: [AnnotationDto], maxItems: 5000 })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(5000)
  @ValidateNested({ each: true })
  @Type(() => AnnotationDto)
  annotations!: AnnotationDto[];
}

@ApiTags('annotations')
@ApiBearerAuth()
@Controller('items/:itemId/annotations')
export class AnnotateController {
  constructor(private readonly items: ItemsService) {}

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
    const { annotations, version } = await this.items.addAnnotations(projectId, p.itemId, annotatorsFor(actor, [{ ...body }], 'annotations'), rid);
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
    return this.items.addAnnotations(
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
    return this.items.updateAnnotation(projectId, p.itemId, p.annotationId, { ...rest }, rid);
  }

  @Delete(':annotationId')
  async remove(@ProjectId() projectId: string, @Param() p: AnnotationParams, @RequestId() rid?: string): Promise<{ version: number }> {
    const { version } = await this.items.decide(projectId, p.itemId, { type: 'DeleteAnnotation', annotationId: p.annotationId, at: new Date().toISOString() }, rid);
    return { version };
  }
}
