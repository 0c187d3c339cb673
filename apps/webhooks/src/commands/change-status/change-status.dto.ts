import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';

export class DisableEndpointDto {
  @ApiProperty({ maxLength: 1000, example: 'receiver under maintenance' })
  @IsString()
  @Length(1, 1000)
  reason!: string;
}
