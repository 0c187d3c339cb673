import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { BuiltinEventType } from '../../domain/builtin-schemas.js';
import type { LiveEventType } from '../../persistence/event-type.projection.js';

export class EventTypeVersionView {
  @ApiProperty() version!: number;
  @ApiProperty({ type: 'object', additionalProperties: true }) schema!: Record<string, unknown>;
  @ApiProperty({ type: 'object', additionalProperties: true, isArray: true }) examples!: Record<string, unknown>[];
  @ApiPropertyOptional({ description: 'When it was registered (custom types only)' }) at?: string;
  @ApiPropertyOptional({ description: 'Who registered it (custom types only)' }) by?: string;
}

export class DeprecationView {
  @ApiProperty() reason!: string;
  @ApiProperty() at!: string;
  @ApiProperty() by!: string;
}

export class EventTypeView {
  @ApiProperty() name!: string;
  @ApiProperty() description!: string;
  @ApiProperty({ description: 'A Stagehook event: read-only, its schema generated from the contracts' }) builtIn!: boolean;
  @ApiProperty() latestVersion!: number;
  @ApiProperty({ type: DeprecationView, nullable: true }) deprecated!: DeprecationView | null;
  @ApiProperty({ type: [EventTypeVersionView] }) versions!: EventTypeVersionView[];
}

export class EventTypeListView {
  @ApiProperty({ type: [EventTypeView] }) data!: EventTypeView[];
}

export function customView(t: LiveEventType): EventTypeView {
  return {
    name: t.name,
    description: t.description,
    builtIn: false,
    latestVersion: t.versions.length,
    deprecated: t.deprecated,
    versions: t.versions.map((v) => ({ version: v.version, schema: v.schema, examples: v.examples, at: v.at, by: v.by })),
  };
}

export function builtinView(t: BuiltinEventType): EventTypeView {
  return {
    name: t.name,
    description: `Stagehook event ${t.name}`,
    builtIn: true,
    latestVersion: t.version,
    deprecated: null,
    versions: [{ version: t.version, schema: t.schema, examples: [] }],
  };
}
