import { ApiProperty } from '@nestjs/swagger';
import { ID_PATTERN } from '@stagehook/contracts';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsString, Length, Matches } from 'class-validator';

export const MAX_BULK_ITEMS = 1000;

export class AddItemsDto {
  @ApiProperty({ type: [String], maxItems: MAX_BULK_ITEMS, description: 'Item ids known to the items service' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_BULK_ITEMS)
  @IsString({ each: true })
  @Length(1, 128, { each: true })
  @Matches(ID_PATTERN, { each: true })
  itemIds!: string[];
}
