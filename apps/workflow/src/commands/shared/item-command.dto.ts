import { ApiPropertyOptional } from '@nestjs/swagger';
import { ID_PATTERN, IsStreamVersion } from '@stagehook/contracts';
import { IsOptional, IsString, Length, Matches, MaxLength } from 'class-validator';
import { parseIfMatch } from './if-match.js';
import type { ClientContext } from './item-stream.js';

export class CommandDto {
  @ApiPropertyOptional({ description: 'The item version the client saw (like If-Match); the frozen version is never lower than the items service reports' })
  @IsOptional()
  @IsStreamVersion(0)
  itemVersion?: number;

  @ApiPropertyOptional({ description: 'The visit acted on; 409 if the item has moved on since' })
  @IsOptional()
  @IsString()
  @Length(1, 128)
  @Matches(ID_PATTERN)
  visitId?: string;

  @ApiPropertyOptional({ description: 'Who acts (a user id)' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  by?: string;
}

// Named as the @Headers('if-match') parameters are, so Swagger merges the two into one optional
// header instead of documenting the parameter as a second, required one.
export const IF_MATCH = { name: 'if-match', required: false, description: "The item's stream version the client saw (the version it saved its annotations at)" };

/** What the client said besides the command: the version it saw (header or body), the visit, who. */
export function clientContext(body: CommandDto, ifMatch: string | undefined, requestId: string | undefined): ClientContext {
  const header = parseIfMatch(ifMatch);
  const versions = [header, body.itemVersion].filter((v): v is number => v !== undefined);
  return {
    ...(versions.length > 0 ? { itemVersion: Math.max(...versions) } : {}),
    ...(body.visitId ? { visitId: body.visitId } : {}),
    ...(body.by ? { by: body.by } : {}),
    ...(requestId ? { correlationId: requestId } : {}),
  };
}
