import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';
import { ItemIdParams } from '../../queries/query-items/query-items.dto.js';

export class AddTagDto {
  @ApiProperty() @IsString() @Length(1, 200) name!: string;
}

export class TagParams extends ItemIdParams {
  @ApiProperty()
  @IsString()
  @Length(1, 200)
  name!: string;
}
