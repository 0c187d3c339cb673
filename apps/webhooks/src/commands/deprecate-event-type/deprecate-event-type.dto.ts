import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';

export class DeprecateEventTypeDto {
  @ApiProperty({ example: 'replaced by model.training.finished' }) @IsString() @Length(1, 1000) reason!: string;
}
