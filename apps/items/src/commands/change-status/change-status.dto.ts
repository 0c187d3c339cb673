import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ITEM_STATUSES, type ItemStatus } from '@stagehook/contracts';
import { IsIn, IsOptional, IsString, Length, MaxLength } from 'class-validator';

export class ChangeStatusDto {
  @ApiProperty({ enum: ITEM_STATUSES }) @IsIn(ITEM_STATUSES) to!: ItemStatus;
  @ApiPropertyOptional({
    description:
      "Who changes it: taken from the token's user or service (`user:<id>`, `service:<id>`); if sent it must name that actor (403 otherwise). Required only with a project-only token.",
  })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  changedBy?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(1000) reason?: string;
}
