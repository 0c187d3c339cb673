import { eventSpec, type UpcastFn } from '@stagehook/contracts';

export interface EventSchema {
  /** Version `decide` writes and readers receive. */
  currentVersion: number;
  /** Keyed by the version each upcasts from. */
  upcasters?: Readonly<Record<number, UpcastFn>>;
}

/**
 * Old events are upcast on read, one version at a time, never rewritten in place. Catalog events
 * take their schema from packages/contracts; a service registers its own non-catalog events here.
 */
export class Upcasting {
  constructor(private readonly schemas: Readonly<Record<string, EventSchema>> = {}) {}

  currentVersion(type: string): number {
    return this.schemas[type]?.currentVersion ?? eventSpec(type)?.schemaVersion ?? 1;
  }

  upcast(type: string, version: number, data: Record<string, unknown>): { version: number; data: Record<string, unknown> } {
    const target = this.currentVersion(type);
    if (version > target) {
      throw new Error(`event ${type} has schema version ${version}, newer than this code knows (${target})`);
    }
    const ups = this.schemas[type]?.upcasters ?? eventSpec(type)?.upcasters ?? {};
    let out = data;
    for (let v = version; v < target; v++) {
      const up = ups[v];
      if (!up) throw new Error(`no upcaster for ${type} from schema version ${v}`);
      out = up(out);
    }
    return { version: target, data: out };
  }
}
