import { ApiProperty } from '@nestjs/swagger';
import { IsISO8601 } from 'class-validator';

export class RecoverBody {
  @ApiProperty({ description: 'Failed deliveries created at or after this time get one more attempt' })
  @IsISO8601({ strict: true })
  since!: string;
}
