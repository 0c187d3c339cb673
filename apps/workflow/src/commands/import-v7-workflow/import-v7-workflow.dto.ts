import { ApiProperty } from '@nestjs/swagger';
import type { ImportNote } from '../../domain/v7-workflow.js';
import type { DefinitionView } from '../../persistence/views.js';

export class ImportNoteView {
  @ApiProperty({ example: 'stages[2].type' }) path!: string;
  @ApiProperty() message!: string;
}

export class V7ImportView {
  @ApiProperty({ type: Object, description: 'The workflow as created' }) workflow!: DefinitionView;
  @ApiProperty({ type: [ImportNoteView], description: 'What could not be carried over, with its path in the V7 document' }) report!: ImportNote[];
}
