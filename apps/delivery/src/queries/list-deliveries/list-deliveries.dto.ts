import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, Matches } from 'class-validator';
import { ID } from '../../commands/shared/params.dto.js';
import { ListMessagesQuery } from '../list-messages/list-messages.dto.js';

/** A message page's filters, and the delivery's own. */
export class ListDeliveriesQuery extends ListMessagesQuery {
  @ApiPropertyOptional() @IsOptional() @Matches(ID, { message: 'must be an id' }) endpointId?: string;
  @ApiPropertyOptional({ enum: ['pending', 'delivered', 'failed'] })
  @IsOptional()
  @IsIn(['pending', 'delivered', 'failed'])
  status?: 'pending' | 'delivered' | 'failed';
}
