import { ApiProperty } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import type { StageActionCommand } from '../../domain/item.decider.js';
import { ItemParams } from '../../params.dto.js';

export const NAMED_COMMANDS = ['start', 'submit', 'approve', 'reject'] as const;

/** The decider command each named command of the route issues. */
export const STAGE_ACTION_COMMANDS = {
  start: 'StartItem',
  submit: 'SubmitItem',
  approve: 'ApproveItem',
  reject: 'RejectItem',
} as const satisfies Record<(typeof NAMED_COMMANDS)[number], StageActionCommand>;

export class CommandParams extends ItemParams {
  @ApiProperty({ enum: NAMED_COMMANDS })
  @IsIn(NAMED_COMMANDS)
  command!: (typeof NAMED_COMMANDS)[number];
}
