import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export const deployDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const repoRoot = join(deployDir, '..');

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}

/**
 * The kubectl that renders the kustomizations: `KUBECTL`, else `kubectl` on the PATH. `npm test`
 * installs Debian's kubernetes-client when it is missing (scripts/services.sh kubectl); without
 * one the manifest tests fail saying so, never skip.
 */
export function kubectl(): string {
  const bin = process.env.KUBECTL ?? 'kubectl';
  try {
    execFileSync(bin, ['version', '--client'], { stdio: 'ignore' });
  } catch {
    throw new Error(
      `kubectl is needed to render deploy/k8s with kustomize, and '${bin}' cannot be run. Install Debian's kubernetes-client ` +
        `(apt-get install -y kubernetes-client, or bash scripts/services.sh kubectl) or set KUBECTL.`,
    );
  }
  return bin;
}

/** `kubectl kustomize deploy/k8s/<dir>` as objects. */
export function render(dir: string): K8sObject[] {
  const out = execFileSync(kubectl(), ['kustomize', join(deployDir, 'k8s', dir)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return parseAllDocuments(out)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

export function readYaml(path: string): unknown {
  const docs = parseAllDocuments(readFileSync(path, 'utf8'));
  for (const d of docs) if (d.errors.length) throw new Error(`${path}: ${d.errors.map((e) => e.message).join('; ')}`);
  if (docs.length !== 1) throw new Error(`${path}: expected one YAML document, found ${docs.length}`);
  return docs[0].toJS() as unknown;
}

type Validatable = new (o: unknown) => { validate(): void };

/** The kubernetes-models (or @kubernetes-models/keda) class of an object's apiVersion and kind. */
export async function modelOf(o: Pick<K8sObject, 'apiVersion' | 'kind'>): Promise<Validatable> {
  const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['', o.apiVersion];
  const specifier = group === 'keda.sh' ? `@kubernetes-models/keda/keda.sh/${version}/${o.kind}` : `kubernetes-models/${group ? `${group}/` : ''}${version}/${o.kind}`;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(specifier)) as Record<string, unknown>;
  } catch {
    throw new Error(`no schema for ${o.apiVersion} ${o.kind} (${specifier})`);
  }
  const cls = mod[o.kind];
  if (typeof cls !== 'function') throw new Error(`${specifier} exports no ${o.kind}`);
  return cls as Validatable;
}

/** The module and interface that type an object in kubernetes-models / @kubernetes-models/keda. */
function typeOf(o: Pick<K8sObject, 'apiVersion' | 'kind'>): { module: string; name: string } {
  const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['', o.apiVersion];
  const module = group === 'keda.sh' ? `@kubernetes-models/keda/keda.sh/${version}/${o.kind}` : `kubernetes-models/${group ? `${group}/` : ''}${version}/${o.kind}`;
  return { module, name: `I${o.kind}` };
}

/**
 * Fields the schemas do not know, found the way TypeScript finds them: each object becomes an
 * object literal typed with its kubernetes-models interface, whose excess-property check refuses a
 * misspelt or misplaced field (the JSON-schema validators accept unknown fields, as the API server
 * does without strict validation). Returns tsc's complaints, naming the objects.
 */
export function unknownFields(objs: K8sObject[]): string[] {
  const dir = mkdtempSync(join(deployDir, '.strict-'));
  try {
    const types = [...new Map(objs.map((o) => [`${o.apiVersion}/${o.kind}`, typeOf(o)])).values()];
    const lines = [
      ...types.map((t, i) => `import type { ${t.name} as T${i} } from '${t.module}';`),
      ...objs.map((o, i) => {
        const t = types.findIndex((x) => x.module === typeOf(o).module);
        return `// ${o.kind} ${o.metadata.name}\nexport const o${i}: T${t} = ${JSON.stringify(o, null, 2)};`;
      }),
    ];
    writeFileSync(join(dir, 'objects.ts'), `${lines.join('\n')}\n`);
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ extends: '../../tsconfig.base.json', compilerOptions: { noEmit: true, types: [] }, include: ['objects.ts'] }));
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    try {
      execFileSync(process.execPath, [tsc, '-p', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      return [];
    } catch (err) {
      const out = String((err as { stdout?: string }).stdout ?? err);
      const source = readFileSync(join(dir, 'objects.ts'), 'utf8').split('\n');
      return out
        .split('\n')
        .filter((l) => l.includes('error TS'))
        .map((l) => {
          const line = Number(/\((\d+),\d+\)/.exec(l)?.[1] ?? 0);
          const owner =
            source
              .slice(0, line)
              .reverse()
              .find((x) => x.startsWith('// ')) ?? '';
          return `${owner.slice(3)}: ${l.replace(/^.*error TS\d+: /, '')}`;
        });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
