import { Injectable } from '@nestjs/common';
import { ITEM_EVENT_TYPES, type ItemStatus, type ItemSummary } from '@stagehook/contracts';
import { cachedStateAt, EventStore, fold, loadState, type StoredEvent } from '@stagehook/event-store';
import { RecentReads } from '@stagehook/platform';
import { DataSource, type EntityManager } from 'typeorm';
import { DatasetNotFoundError, ItemNotFoundError, VersionNotFoundError } from '../domain/errors.js';
import { itemDecider, itemStreamId, tagsOf, type ItemEvent, type ItemSlot, type ItemState } from '../domain/item.decider.js';

/** A project as its exports name it (V7's team). */
export interface Project {
  id: string;
  name: string;
  slug: string;
  /** Null while the project has never been named. */
  updatedAt: string | null;
  updatedBy: string | null;
}

export interface Dataset {
  id: string;
  projectId: string;
  name: string;
  slug: string;
  createdAt: string;
}

export interface ItemView {
  id: string;
  projectId: string;
  datasetId: string;
  name: string;
  path: string;
  status: ItemStatus;
  tags: string[];
  annotationCount: number;
  metadata: Record<string, unknown>;
  /** The first slot, without its name (what the API showed before items had several). */
  slot: Omit<ItemSlot, 'name'>;
  slots: ItemSlot[];
  version: number;
  registeredAt: string;
  updatedAt: string;
}

interface DatasetRow {
  id: string;
  project_id: string;
  name: string;
  slug: string;
  created_at: Date;
}

function toDataset(r: DatasetRow): Dataset {
  return { id: r.id, projectId: r.project_id, name: r.name, slug: r.slug, createdAt: r.created_at.toISOString() };
}

interface ItemViewRow {
  seq: string;
  id: string;
  project_id: string;
  dataset_id: string;
  name: string;
  path: string;
  status: ItemStatus;
  tags: string[];
  annotation_count: number;
  metadata: Record<string, unknown>;
  slot: Omit<ItemSlot, 'name'>;
  slots: ItemSlot[];
  version: number;
  registered_at: Date;
  updated_at: Date;
}

export interface ItemFilter {
  datasetId?: string;
  status?: ItemStatus;
  tag?: string;
  /** Opaque cursor from a previous page. */
  cursor?: string;
  limit: number;
}

/** How long a read of a project's name answers exports (see `projectRecently`). */
const RECENT_PROJECT_MS = 1_000;

const toView = (r: ItemViewRow): ItemView => ({
  id: r.id,
  projectId: r.project_id,
  datasetId: r.dataset_id,
  name: r.name,
  path: r.path,
  status: r.status,
  tags: r.tags,
  annotationCount: r.annotation_count,
  metadata: r.metadata,
  slot: r.slot,
  slots: r.slots,
  version: r.version,
  registeredAt: r.registered_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

/**
 * The read side: datasets, projects, the items read model (`items_view`, kept by itemsProjection)
 * and item streams folded for reading (now or as of a version, and their history). Writes go
 * through ItemsRepository.
 */
@Injectable()
export class ItemsQueryRepository {
  /** Project names as read within the last second (see `projectRecently`). */
  private readonly projects = new RecentReads<Project>(RECENT_PROJECT_MS, 1_000);

  constructor(
    private readonly dataSource: DataSource,
    private readonly store: EventStore,
  ) {}

  async listDatasets(projectId: string): Promise<Dataset[]> {
    const rows: DatasetRow[] = await this.dataSource.query(`SELECT * FROM datasets WHERE project_id = $1 ORDER BY created_at, id`, [projectId]);
    return rows.map(toDataset);
  }

  /** The project's name and slug; a project never named is called by its id. */
  async project(projectId: string, manager?: EntityManager): Promise<Project> {
    const rows: { name: string; slug: string; updated_at: Date; updated_by: string }[] = await (manager ?? this.dataSource.manager).query(
      `SELECT name, slug, updated_at, updated_by FROM items_projects WHERE project_id = $1`,
      [projectId],
    );
    const r = rows[0];
    return r
      ? { id: projectId, name: r.name, slug: r.slug, updatedAt: r.updated_at.toISOString(), updatedBy: r.updated_by }
      : { id: projectId, name: projectId, slug: projectId, updatedAt: null, updatedBy: null };
  }

  /**
   * `project` as this process read it within the last second: every Darwin export names its
   * project (`source_info.team`), one read per webhook delivery for a value that changes when
   * someone renames the project. A rename through this process is seen at once (`forgetProject`),
   * one through another replica within the second.
   */
  projectRecently(projectId: string): Promise<Project> {
    return this.projects.get(projectId, () => this.project(projectId));
  }

  /** The next `projectRecently` of this project reads it again. */
  forgetProject(projectId: string): void {
    this.projects.delete(projectId);
  }

  /** The dataset if it belongs to the project (another project's is "not found"). */
  async dataset(projectId: string, id: string, manager?: EntityManager): Promise<Dataset | undefined> {
    return (await this.listDatasetsWhere(`project_id = $1 AND id = $2`, [projectId, id], manager))[0];
  }

  async requireDataset(projectId: string, datasetId: string): Promise<Dataset> {
    const ds = await this.dataset(projectId, datasetId);
    if (!ds) throw new DatasetNotFoundError(datasetId);
    return ds;
  }

  private async listDatasetsWhere(where: string, params: unknown[], manager?: EntityManager): Promise<Dataset[]> {
    const rows: DatasetRow[] = await (manager ?? this.dataSource.manager).query(`SELECT * FROM datasets WHERE ${where}`, params);
    return rows.map(toDataset);
  }

  async view(itemId: string, manager?: EntityManager): Promise<ItemView | undefined> {
    const rows: ItemViewRow[] = await (manager ?? this.dataSource.manager).query(`SELECT * FROM items_view WHERE id = $1`, [itemId]);
    return rows[0] ? toView(rows[0]) : undefined;
  }

  /** The item's read model if it belongs to the project; another project's item is a 404. */
  async requireItem(projectId: string, itemId: string): Promise<ItemView> {
    const view = await this.view(itemId);
    if (!view || view.projectId !== projectId) throw new ItemNotFoundError(itemId);
    return view;
  }

  /**
   * The item's read model and its dataset, in one statement: what a status change (a stage entry's
   * or a client's) and the `head` and Darwin export requests start from, each once or twice per
   * item passing through a workflow. The dataset is undefined if it is not in the item's project.
   */
  async viewAndDataset(itemId: string, manager?: EntityManager): Promise<{ view: ItemView; dataset: Dataset | undefined } | undefined> {
    const rows: (ItemViewRow & { ds_name: string | null; ds_slug: string | null; ds_created_at: Date | null })[] = await (manager ?? this.dataSource.manager).query(
      `SELECT v.*, d.name AS ds_name, d.slug AS ds_slug, d.created_at AS ds_created_at
       FROM items_view v LEFT JOIN datasets d ON d.id = v.dataset_id AND d.project_id = v.project_id
       WHERE v.id = $1`,
      [itemId],
    );
    const r = rows[0];
    if (!r) return undefined;
    const dataset =
      r.ds_name !== null && r.ds_slug !== null && r.ds_created_at !== null
        ? toDataset({ id: r.dataset_id, project_id: r.project_id, name: r.ds_name, slug: r.ds_slug, created_at: r.ds_created_at })
        : undefined;
    return { view: toView(r), dataset };
  }

  /** `viewAndDataset` of an item that belongs to the project; another project's item is a 404. */
  async requireItemAndDataset(projectId: string, itemId: string): Promise<{ view: ItemView; dataset: Dataset | undefined }> {
    const found = await this.viewAndDataset(itemId);
    if (!found || found.view.projectId !== projectId) throw new ItemNotFoundError(itemId);
    return found;
  }

  async list(projectId: string, f: ItemFilter): Promise<{ items: ItemView[]; nextCursor: string | null }> {
    const rows: ItemViewRow[] = await this.dataSource.query(
      `SELECT * FROM items_view
       WHERE project_id = $1 AND ($2::uuid IS NULL OR dataset_id = $2) AND ($3::text IS NULL OR status = $3)
         AND ($4::text IS NULL OR tags @> ARRAY[$4]) AND seq > $5
       ORDER BY seq LIMIT $6`,
      [projectId, f.datasetId ?? null, f.status ?? null, f.tag ?? null, f.cursor ? Number(f.cursor) : 0, f.limit + 1],
    );
    const page = rows.slice(0, f.limit);
    return { items: page.map(toView), nextCursor: rows.length > f.limit ? page[page.length - 1].seq : null };
  }

  /** Item ids by name within a dataset (Darwin bulk import matches on names). */
  async idsByName(datasetId: string, names: string[]): Promise<Map<string, string>> {
    const rows: { id: string; name: string }[] = await this.dataSource.query(`SELECT id, name FROM items_view WHERE dataset_id = $1 AND name = ANY($2)`, [datasetId, names]);
    return new Map(rows.map((r) => [r.name, r.id]));
  }

  /** The item as of `toVersion` (latest when absent), folded from its stream. */
  async load(itemId: string, toVersion?: number): Promise<{ state: ItemState; version: number }> {
    if (toVersion === undefined) {
      const { state, version } = await loadState(this.store, itemStreamId(itemId), itemDecider);
      return { state, version };
    }
    // A stage entry's export asks, moments later, for the version this process's last command on
    // the item made: that command cached its state, the fold of the stream up to it.
    const cached = cachedStateAt(this.store, itemStreamId(itemId), itemDecider, toVersion);
    if (cached) return { state: cached, version: toVersion };
    const events = await this.store.readStream<ItemEvent>(itemStreamId(itemId), { toVersion, types: ITEM_EVENT_TYPES });
    const version = events.length === 0 ? 0 : events[events.length - 1].streamVersion;
    if (toVersion !== undefined && version < toVersion) throw new VersionNotFoundError(itemId, toVersion, version);
    return { state: fold(itemDecider, events), version };
  }

  async history(itemId: string, afterVersion: number, limit: number): Promise<StoredEvent[]> {
    return this.store.readStream(itemStreamId(itemId), { fromVersion: afterVersion + 1, toVersion: afterVersion + limit });
  }
}

export function toSummary(view: ItemView, dataset: Dataset, state?: ItemState, version?: number): ItemSummary {
  return {
    id: view.id,
    projectId: view.projectId,
    datasetId: view.datasetId,
    datasetName: dataset.name,
    datasetSlug: dataset.slug,
    name: view.name,
    path: view.path,
    status: state?.status ?? view.status,
    tags: state ? tagsOf(state) : view.tags,
    version: version ?? view.version,
    metadata: view.metadata,
    slots: (state?.slots ?? view.slots).map((s) => ({ name: s.name, type: s.type, width: s.width, height: s.height, sourceUrl: s.sourceUrl })),
  };
}
