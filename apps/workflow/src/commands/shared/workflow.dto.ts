import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ID_PATTERN, STAGE_TYPES, type StageType } from '@stagehook/contracts';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  IsUrl,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';

export class EdgeDto {
  @ApiProperty({ description: 'Output name: default, approve, reject, succeeded or failed', example: 'default' })
  @IsString()
  @Length(1, 100)
  name!: string;

  @ApiProperty({ description: 'Id of the stage this edge leads to' })
  @IsString()
  @Length(1, 128)
  @Matches(ID_PATTERN)
  to!: string;
}

/**
 * A webhook stage names an existing endpoint (`endpointId`) or holds its own `url` and
 * `authorizationHeader`, as V7's stage config does; then the registry manages an endpoint for the
 * stage and the saved workflow names it.
 */
export class WebhookConfigDto {
  @ApiPropertyOptional({ description: 'Endpoint id in the webhook registry; or give `url` instead' })
  @IsOptional()
  @IsString()
  @Length(1, 128)
  @Matches(ID_PATTERN)
  endpointId?: string;

  @ApiPropertyOptional({ description: "The stage's own URL (V7 `url`): the registry manages an endpoint for the stage", example: 'https://example.com/hooks/qa' })
  @IsOptional()
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false, require_valid_protocol: true }, { message: '$property must be an http(s) URL' })
  @MaxLength(2048)
  url?: string;

  @ApiPropertyOptional({
    nullable: true,
    description:
      'Sent as `Authorization` (V7 `authorization_header`). Write-only: stored sealed by the registry, never returned (see `managed.authorizationHeaderSet`). Absent keeps the current one, null removes it',
  })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsString()
  @Length(1, 4096)
  authorizationHeader?: string | null;

  @ApiPropertyOptional({ description: 'V7 `retry_if_fails`: false sends once, then routes through failed' })
  @IsOptional()
  @IsBoolean()
  retryIfFails?: boolean;

  @ApiPropertyOptional({ description: 'Attempts before the stage routes through failed (V7 default 5)', minimum: 1, maximum: 20 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(20)
  maxAttempts?: number;

  @ApiPropertyOptional({ description: "Overrides the endpoint's include-annotations setting" })
  @IsOptional()
  @IsBoolean()
  includeAnnotations?: boolean;

  @ApiPropertyOptional({
    description:
      'Write-back (V7\'s BYOM): a 2xx response body holding Darwin JSON 2.0 annotations (a Darwin document, or {"annotations": [...]}; tags as tag annotations) is added to the item before it leaves through succeeded, so the next stage sees it. A malformed body (not JSON, not Darwin annotations, over 1 MiB) fails the attempt with the reason; after the stage\'s attempts the item leaves through failed.',
  })
  @IsOptional()
  @IsBoolean()
  writeBack?: boolean;
}

export class StagePositionDto {
  @ApiProperty() @IsNumber({ allowNaN: false, allowInfinity: false }) x!: number;
  @ApiProperty() @IsNumber({ allowNaN: false, allowInfinity: false }) y!: number;
}

export class StageDto {
  @ApiProperty({ description: 'Stage id, unique in the workflow; edges refer to it' })
  @IsString()
  @Length(1, 128)
  @Matches(ID_PATTERN)
  id!: string;

  @ApiProperty({ example: 'Annotate' })
  @IsString()
  @Length(1, 200)
  name!: string;

  @ApiProperty({ enum: STAGE_TYPES })
  @IsIn(STAGE_TYPES)
  type!: StageType;

  @ApiProperty({ type: [EdgeDto] })
  @IsArray()
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  @Type(() => EdgeDto)
  edges!: EdgeDto[];

  @ApiPropertyOptional({ type: WebhookConfigDto, description: 'Required on webhook stages' })
  @IsOptional()
  @ValidateNested()
  @Type(() => WebhookConfigDto)
  webhook?: WebhookConfigDto;

  @ApiPropertyOptional({
    description:
      "Dataset stage only (V7's dataset stage): items registered in this dataset from now on (one by one or in bulk) enter the workflow by themselves, once each, in registration order, and move on to the stage after the dataset stage. Items registered before the workflow was saved with the dataset are not pulled in (add them with POST /workflows/{id}/items). A dataset feeds at most one workflow: naming a dataset another workflow is bound to is a 409 naming that workflow.",
  })
  @IsOptional()
  @IsString()
  @Length(1, 128)
  @Matches(ID_PATTERN)
  datasetId?: string;

  @ApiPropertyOptional({ type: StagePositionDto, description: 'Where the editor draws the stage (V7 config.x / config.y)' })
  @IsOptional()
  @ValidateNested()
  @Type(() => StagePositionDto)
  position?: StagePositionDto;
}

export class SaveWorkflowDto {
  @ApiProperty({ example: 'Annotation with QA webhook' })
  @IsString()
  @Length(1, 200)
  name!: string;

  @ApiProperty({ type: [StageDto] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => StageDto)
  stages!: StageDto[];
}

export class ByDto {
  @ApiPropertyOptional({ description: 'Who saves it (a user id), recorded on the event' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  by?: string;
}
