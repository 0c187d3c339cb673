import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ID_PATTERN } from '@stagehook/contracts';
import { IsOptional, IsString, Length, Matches } from 'class-validator';

export class StageTestParams {
  @ApiProperty() @IsString() @Length(1, 128) @Matches(ID_PATTERN) id!: string;
  @ApiProperty() @IsString() @Length(1, 128) @Matches(ID_PATTERN) stageId!: string;
}

export class StageTestDto {
  @ApiPropertyOptional({ description: 'Send this item as it is now; a sample item when absent' })
  @IsOptional()
  @IsString()
  @Length(1, 128)
  @Matches(ID_PATTERN)
  itemId?: string;
}

export class StageTestResultView {
  @ApiProperty({ nullable: true, type: Number, description: 'HTTP status; null when no response came back' }) status!: number | null;
  @ApiProperty() latencyMs!: number;
  @ApiProperty({ description: 'The response body, capped at 4 KiB' }) responseBody!: string;
  @ApiProperty({ description: 'A 2xx within the endpoint timeout' }) passed!: boolean;
  @ApiPropertyOptional({ nullable: true, type: String }) error!: string | null;
  @ApiProperty({ description: 'The `webhook-id` the receiver saw' }) webhookId!: string;
}
