import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

export class RotateSecretDto {
  @ApiPropertyOptional({ minimum: 0, maximum: 604_800, description: 'How long the old secret stays valid (default 24 h; 0 revokes it now)' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(604_800)
  graceSeconds?: number;
}
