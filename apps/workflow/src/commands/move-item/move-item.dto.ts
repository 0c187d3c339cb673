import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';
import { CommandDto } from '../shared/item-command.dto.js';

export class MoveDto extends CommandDto {
  @ApiProperty({ description: 'The named edge to take', example: 'failed' })
  @IsString()
  @Length(1, 100)
  edge!: string;
}
