import { ApiProperty } from '@nestjs/swagger';
import { ID_PATTERN } from '@stagehook/contracts';
import { IsString, Length, Matches } from 'class-validator';

export class SetStageDto {
  @ApiProperty()
  @IsString()
  @Length(1, 128)
  @Matches(ID_PATTERN)
  stageId!: string;

  @ApiProperty({ description: 'Who sets it' })
  @IsString()
  @Length(1, 200)
  by!: string;

  @ApiProperty({ description: 'Why' })
  @IsString()
  @Length(1, 1000)
  reason!: string;
}
