import { ApiProperty } from '@nestjs/swagger';
import { Matches } from 'class-validator';

/** An endpoint, item or other id of the platform: letters, digits, _ and -. */
export const ID = /^[A-Za-z0-9_-]{1,128}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The `:id` of the delivery routes (queries and commands alike). */
export class DeliveryIdParam {
  @ApiProperty({ description: 'Delivery id (also the webhook-id the receiver saw)' })
  @Matches(UUID, { message: 'must be a UUID' })
  id!: string;
}

/** The `:id` of the endpoint routes (queries and commands alike). */
export class EndpointIdParam {
  @ApiProperty()
  @Matches(ID, { message: 'must be an id of letters, digits, _ and -' })
  id!: string;
}
