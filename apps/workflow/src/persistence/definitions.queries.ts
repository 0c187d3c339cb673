import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type DefinitionView, type DefRow, toDefinition } from './views.js';

/** Read-only queries over `wf_definitions` for the query endpoints. */
@Injectable()
export class DefinitionsQueries {
  constructor(private readonly ds: DataSource) {}

  /** Latest version of each of the project's workflows. */
  async list(projectId: string): Promise<DefinitionView[]> {
    const rows = await this.ds.query<DefRow[]>(`SELECT DISTINCT ON (workflow_id) * FROM wf_definitions WHERE project_id = $1 ORDER BY workflow_id, version DESC`, [projectId]);
    return rows.map(toDefinition);
  }
}
