import { Injectable } from '@nestjs/common';
import { assertSameProject, foundInProject } from '@stagehook/platform';
import { DataSource, type EntityManager } from 'typeorm';
import { type DefinitionView, type DefRow, toDefinition } from './views.js';

/**
 * Definition versions, as the inline projection keeps them: what commands load to decide (a
 * version's graph, the workflow's project, a dataset's binding). A version never changes once
 * saved, so the query side reads versions through this cache too; listing is in DefinitionsQueries.
 */
@Injectable()
export class DefinitionsRepository {
  /** Versions never change once saved, so they are cached; the latest version is always read. */
  private readonly versions = new Map<string, DefinitionView>();
  private readonly projects = new Map<string, string>();
  private static readonly CACHE_MAX = 1000;

  constructor(private readonly ds: DataSource) {}

  /** The workflow's project (from any version: it never changes), or undefined. */
  async projectOf(workflowId: string): Promise<string | undefined> {
    return this.projects.get(workflowId) ?? (await this.find(workflowId))?.projectId;
  }

  /** 404 unless the workflow exists in the project (another project's workflow is a 404 too). */
  async assertInProject(workflowId: string, projectId: string): Promise<void> {
    assertSameProject(await this.projectOf(workflowId), projectId, `workflow ${workflowId}`);
  }

  /** A version of a workflow (the latest when `version` is absent); 404 unless it exists in the project. */
  async getInProject(projectId: string, workflowId: string, version?: number): Promise<DefinitionView> {
    return foundInProject(await this.find(workflowId, version), projectId, `workflow ${workflowId}${version ? ` version ${version}` : ''}`);
  }

  /** A version of a workflow (the latest when `version` is absent), or undefined. */
  async find(workflowId: string, version?: number, manager?: EntityManager): Promise<DefinitionView | undefined> {
    const cached = version !== undefined ? this.versions.get(`${workflowId}@${version}`) : undefined;
    if (cached) return cached;
    const def = await this.load(workflowId, version, manager);
    if (def) {
      if (this.versions.size >= DefinitionsRepository.CACHE_MAX) {
        this.versions.delete(this.versions.keys().next().value as string);
        this.projects.clear();
      }
      this.versions.set(`${workflowId}@${def.version}`, def);
      this.projects.set(workflowId, def.projectId);
    }
    return def;
  }

  private async load(workflowId: string, version?: number, manager?: EntityManager): Promise<DefinitionView | undefined> {
    const rows = await (manager ?? this.ds).query<DefRow[]>(
      `SELECT * FROM wf_definitions WHERE workflow_id = $1 AND ($2::int IS NULL OR version = $2) ORDER BY version DESC LIMIT 1`,
      [workflowId, version ?? null],
    );
    return rows[0] && toDefinition(rows[0]);
  }

  /** The workflow a dataset feeds (dataset-bound workflows), and since when, or undefined. */
  async boundTo(projectId: string, datasetId: string, manager?: EntityManager): Promise<{ workflowId: string; boundAt: Date } | undefined> {
    const rows: { workflow_id: string; bound_at: Date }[] = await (manager ?? this.ds).query(
      `SELECT workflow_id, bound_at FROM wf_dataset_bindings WHERE project_id = $1 AND dataset_id = $2`,
      [projectId, datasetId],
    );
    return rows[0] ? { workflowId: rows[0].workflow_id, boundAt: new Date(rows[0].bound_at) } : undefined;
  }
}
