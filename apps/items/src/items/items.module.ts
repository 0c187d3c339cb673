import { Module } from '@nestjs/common';
import { ItemsRepository } from '../persistence/items.repository.js';
import { ItemsService } from './items.service.js';

@Module({ providers: [ItemsRepository, ItemsService], exports: [ItemsRepository, ItemsService] })
export class ItemsModule {}
