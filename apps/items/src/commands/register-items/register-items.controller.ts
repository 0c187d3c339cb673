import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ProjectId, RequestId, ValidationFailedError, type FieldError } from '@stagehook/platform';
import type { ItemView } from '../../persistence/items.query-repository.js';
import { RegisterItemsDto } from './register-items.dto.js';
import { RegisterItemsHandler } from './register-items.handler.js';

@ApiTags('items')
@ApiBearerAuth()
@Controller('items')
export class RegisterItemsController {
  constructor(private readonly handler: RegisterItemsHandler) {}

  /** One or many (up to 1,000) items; all are registered or none. */
  @Post()
  @HttpCode(201)
  async register(@ProjectId() projectId: string, @Body() body: RegisterItemsDto, @RequestId() requestId?: string): Promise<{ items: ItemView[] }> {
    const errors: FieldError[] = [];
    body.items.forEach((i, n) => {
      if (!i.slots) return;
      for (const k of ['width', 'height', 'slotType', 'sourceUrl', 'thumbnailUrl'] as const) {
        if (i[k] !== undefined) errors.push({ path: `items[${n}].${k}`, messages: ['must be absent when slots are given (give it on the slot)'] });
      }
      const seen = new Set<string>();
      i.slots.forEach((s, k) => {
        if (seen.has(s.name)) errors.push({ path: `items[${n}].slots[${k}].name`, messages: ['is repeated in this item'] });
        seen.add(s.name);
      });
    });
    if (errors.length > 0) throw new ValidationFailedError(errors);
    const items = await this.handler.handle(
      projectId,
      body.datasetId,
      body.items.map((i) => ({
        name: i.name,
        path: i.path ?? '/',
        slots: i.slots
          ? i.slots.map((s) => ({
              name: s.name,
              type: s.type ?? 'image',
              width: s.width ?? null,
              height: s.height ?? null,
              sourceUrl: s.sourceUrl ?? null,
              thumbnailUrl: s.thumbnailUrl ?? null,
            }))
          : [{ name: '0', type: i.slotType ?? 'image', width: i.width!, height: i.height!, sourceUrl: i.sourceUrl ?? null, thumbnailUrl: i.thumbnailUrl ?? null }],
        metadata: i.metadata ?? {},
      })),
      requestId,
    );
    return { items };
  }
}
