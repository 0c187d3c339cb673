import { ApiProperty } from '@nestjs/swagger';
import { ID_PATTERN } from '@stagehook/contracts';
import { IsString, Length, Matches } from 'class-validator';

/** Route parameters shared by commands and queries. */
export class WorkflowIdParams {
  @ApiProperty()
  @IsString()
  @Length(1, 128)
  @Matches(ID_PATTERN)
  id!: string;
}

export class ItemParams {
  @ApiProperty()
  @IsString()
  @Length(1, 128)
  @Matches(ID_PATTERN)
  id!: string;

  @ApiProperty()
  @IsString()
  @Length(1, 128)
  @Matches(ID_PATTERN)
  itemId!: string;
}
