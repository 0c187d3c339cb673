/**
 * deploy/k8s, rendered with `kubectl kustomize` as an operator would (base and production
 * overlay), checked against the Kubernetes and KEDA schemas (kubernetes-models,
 * @kubernetes-models/keda) and against the services themselves: the variables each container
 * gets are the ones its config class reads and pass its validation, ports and probes are the
 * ones the service serves, shutdown fits in the grace period, and KEDA watches delivery's real
 * durable consumers.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { ConsoleConfig } from '@stagehook/console/dist/server/config.js';
import { DeliveryConfig } from '@stagehook/delivery/dist/config.js';
import { ItemsConfig } from '@stagehook/items/dist/config.js';
import { ConfigValidationError, declaredVariables, loadConfig, secretFields } from '@stagehook/platform';
import { WebhooksConfig } from '@stagehook/webhooks/dist/config.js';
import { WorkflowConfig } from '@stagehook/workflow/dist/config.js';
import { deployDir, type K8sObject, modelOf, readYaml, render, repoRoot, unknownFields } from './support/manifests.js';

const CONFIGS: Record<string, new () => object> = {
  workflow: WorkflowConfig,
  items: ItemsConfig,
  webhooks: WebhooksConfig,
  delivery: DeliveryConfig,
  console: ConsoleConfig,
};
const SERVICES = ['workflow', 'items', 'webhooks', 'delivery'] as const;
const WORKLOADS = [...SERVICES, 'console'] as const;

/** What an operator's Secrets would hold: valid shapes, so each config class's validation runs for real. */
const SAMPLE_SECRETS: Record<string, string> = {
  AUTH_TOKEN_SECRETS: 'sample-token-key-0123456789abcdef0123456789',
  SECRET_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}`,
  DATABASE_URL: 'postgres://stagehook@db.example.internal:5432/stagehook',
};

/** Dispatcher.stop waits this long for attempts in flight (apps/delivery/src/commands/attempt-delivery/dispatcher.ts). */
const DISPATCHER_DRAIN_MS = 20_000;

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string }; configMapKeyRef?: { name: string; key: string } };
}
interface Probe {
  httpGet?: { path: string; port: string | number };
  tcpSocket?: { port: string | number };
}
interface Container {
  name: string;
  image: string;
  ports?: { name?: string; containerPort: number }[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
}
interface PodSpec {
  containers: Container[];
  terminationGracePeriodSeconds?: number;
}
interface DeploymentSpec {
  replicas?: number;
  selector: { matchLabels: Record<string, string> };
  template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
}

const find = (objs: K8sObject[], kind: string, name: string): K8sObject => {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind} ${name} in the rendered manifests`);
  return o;
};
const deploymentSpec = (objs: K8sObject[], name: string) => find(objs, 'Deployment', name).spec as unknown as DeploymentSpec;
const containerOf = (objs: K8sObject[], name: string): Container => {
  const c = deploymentSpec(objs, name).template.spec.containers.find((x) => x.name === name);
  if (!c) throw new Error(`Deployment ${name} has no container ${name}`);
  return c;
};

/** The container's environment as the kubelet would build it, Secrets replaced by sample values. */
function environment(objs: K8sObject[], c: Container): { env: Record<string, string>; fromSecrets: Set<string> } {
  const env: Record<string, string> = {};
  const fromSecrets = new Set<string>();
  const configMap = (name: string) => find(objs, 'ConfigMap', name).data ?? {};
  for (const from of c.envFrom ?? []) {
    if (from.secretRef) throw new Error(`${c.name}: envFrom a whole Secret hides which variables it sets; use secretKeyRef`);
    if (from.configMapRef) Object.assign(env, configMap(from.configMapRef.name));
  }
  for (const v of c.env ?? []) {
    if (v.value !== undefined) env[v.name] = v.value;
    else if (v.valueFrom?.configMapKeyRef) {
      const value = configMap(v.valueFrom.configMapKeyRef.name)[v.valueFrom.configMapKeyRef.key];
      if (value === undefined) throw new Error(`${c.name}: ${v.name} refers to a missing ConfigMap key`);
      env[v.name] = value;
    } else if (v.valueFrom?.secretKeyRef) {
      const sample = SAMPLE_SECRETS[v.valueFrom.secretKeyRef.key];
      if (sample === undefined) throw new Error(`${c.name}: no sample value for Secret key ${v.valueFrom.secretKeyRef.key}`);
      env[v.name] = sample;
      fromSecrets.add(v.name);
    } else throw new Error(`${c.name}: ${v.name} has neither a value nor a reference this test understands`);
  }
  return { env, fromSecrets };
}

function requiredVariables(cls: new () => object): string[] {
  try {
    loadConfig(cls, {});
    return [];
  } catch (err) {
    if (!(err instanceof ConfigValidationError)) throw err;
    return err.problems.filter((p) => p.problems.includes('is required but not set')).map((p) => p.variable);
  }
}

const preStopSeconds = (c: Container): number => {
  const cmd = c.lifecycle?.preStop?.exec?.command ?? [];
  return cmd[0] === 'sleep' ? Number(cmd[1]) : 0;
};

describe.each(['base', 'overlays/production'])('deploy/k8s/%s', (dir) => {
  let objs: K8sObject[];

  beforeAll(() => {
    objs = render(dir);
  });

  it('renders only objects that are valid against the Kubernetes and KEDA schemas', async () => {
    expect(objs.length).toBeGreaterThan(10);
    const problems: string[] = [];
    for (const o of objs) {
      try {
        new (await modelOf(o))(o).validate();
      } catch (err) {
        problems.push(`${o.kind} ${o.metadata.name}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('has no field the Kubernetes and KEDA types do not know (strict, like kubeconform -strict)', () => {
    expect(unknownFields(objs)).toEqual([]);
  });

  it('has a Deployment, a Service and a PodDisruptionBudget that select the same pods, per service and for the console', () => {
    for (const name of WORKLOADS) {
      const d = deploymentSpec(objs, name);
      const podLabels = d.template.metadata.labels;
      const selects = (sel: Record<string, string>) => Object.entries(sel).every(([k, v]) => podLabels[k] === v);
      expect(selects(d.selector.matchLabels)).toBe(true);
      expect(selects((find(objs, 'Service', name).spec as { selector: Record<string, string> }).selector)).toBe(true);
      expect(selects((find(objs, 'PodDisruptionBudget', name).spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels)).toBe(true);
    }
  });

  it.each(WORKLOADS)('gives %s exactly the variables its config class reads, secrets from Secrets, and they pass its validation', (name) => {
    const cls = CONFIGS[name];
    const { env, fromSecrets } = environment(objs, containerOf(objs, name));
    const declared = new Set(declaredVariables(cls));
    // A name the service does not read is a typo or a setting that silently does nothing.
    expect(Object.keys(env).filter((k) => !declared.has(k))).toEqual([]);
    expect(requiredVariables(cls).filter((k) => !(k in env))).toEqual([]);
    // Every secret the service reads comes from a Secret (NATS_URL is marked secret for the
    // credentials a URL may carry; these carry none).
    expect(secretFields(cls).filter((k) => k in env && k !== 'NATS_URL' && !fromSecrets.has(k))).toEqual([]);
    expect(() => loadConfig(cls, env)).not.toThrow();
  });

  it('serves each workload on the port its PORT says, named http, behind a Service on the same port', () => {
    for (const name of WORKLOADS) {
      const c = containerOf(objs, name);
      const port = Number(environment(objs, c).env.PORT);
      expect(c.ports).toEqual([{ name: 'http', containerPort: port }]);
      const svc = find(objs, 'Service', name).spec as { ports: { port: number; targetPort: string | number }[] };
      expect(svc.ports.map((p) => [p.port, p.targetPort])).toEqual([[port, 'http']]);
    }
    // The console proxies to the services by their Service names and ports.
    const consoleEnv = environment(objs, containerOf(objs, 'console')).env;
    for (const name of SERVICES) {
      const url = new URL(consoleEnv[`${name.toUpperCase()}_URL`]);
      const svcPort = (find(objs, 'Service', name).spec as { ports: { port: number }[] }).ports[0].port;
      expect([url.hostname, Number(url.port)]).toEqual([name, svcPort]);
    }
  });

  it('is ready on /health, and alive without asking PostgreSQL or NATS', () => {
    for (const name of WORKLOADS) {
      const c = containerOf(objs, name);
      expect(c.readinessProbe?.httpGet).toEqual({ path: '/health', port: 'http' });
      // /health fails while a dependency is down: as a liveness probe it would restart every pod
      // whenever PostgreSQL blinked.
      expect(c.livenessProbe?.httpGet?.path).not.toBe('/health');
      if (name === 'console') expect(c.livenessProbe?.tcpSocket).toEqual({ port: 'http' });
      else expect(c.livenessProbe?.httpGet).toEqual({ path: '/health/live', port: 'http' });
    }
  });

  it('lets every process finish its graceful shutdown before Kubernetes would kill it', () => {
    for (const name of WORKLOADS) {
      const d = deploymentSpec(objs, name);
      const c = containerOf(objs, name);
      const cfg = loadConfig(CONFIGS[name], environment(objs, c).env) as { SHUTDOWN_TIMEOUT_MS: number };
      expect(d.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(preStopSeconds(c) + cfg.SHUTDOWN_TIMEOUT_MS / 1000);
    }
    // Delivery's deadline leaves room for the dispatcher to finish attempts in flight after HTTP drained.
    const delivery = loadConfig(DeliveryConfig, environment(objs, containerOf(objs, 'delivery')).env);
    expect(delivery.SHUTDOWN_TIMEOUT_MS).toBeGreaterThan(DISPATCHER_DRAIN_MS + 5_000);
  });

  it('requests CPU and memory and caps memory for every container', () => {
    for (const name of WORKLOADS) {
      const r = containerOf(objs, name).resources;
      expect(r?.requests?.cpu).toBeDefined();
      expect(r?.requests?.memory).toBeDefined();
      expect(r?.limits?.memory).toBeDefined();
    }
  });

  it('scales delivery with KEDA on its JetStream consumers and its due retry queue, and leaves it the replica count', () => {
    const so = find(objs, 'ScaledObject', 'delivery').spec as {
      scaleTargetRef: { name: string };
      minReplicaCount: number;
      triggers: { type: string; metadata: Record<string, string> }[];
    };
    expect(so.scaleTargetRef.name).toBe('delivery');
    expect(so.minReplicaCount).toBeGreaterThanOrEqual(2);
    expect(deploymentSpec(objs, 'delivery').replicas).toBeUndefined();
    // The stream/durable pairs the delivery service really consumes (its consumer declarations).
    const source = readFileSync(join(repoRoot, 'apps/delivery/src/commands/shared/consumers.ts'), 'utf8');
    const consumed = [...source.matchAll(/stream: '(\w+)',\s*durable: '([\w-]+)'/g)].map((m) => `${m[1]}/${m[2]}`);
    expect(consumed.length).toBeGreaterThanOrEqual(4);
    const watched = so.triggers.filter((t) => t.type === 'nats-jetstream').map((t) => `${t.metadata.stream}/${t.metadata.consumer}`);
    // Endpoint events are few and cheap: never a reason to add pods.
    expect(watched.sort()).toEqual(consumed.filter((c) => c !== 'WEBHOOKS/delivery-endpoints').sort());
    const prom = so.triggers.filter((t) => t.type === 'prometheus');
    expect(prom.map((t) => t.metadata.query)).toEqual(['max(stagehook_delivery_due_deliveries{service="delivery"})']);
    // The scaler reads /jsz on the port the NATS chart values open.
    const values = readYaml(join(deployDir, 'nats/values.yaml')) as { config: { monitor: { port: number } } };
    for (const t of so.triggers.filter((x) => x.type === 'nats-jetstream')) {
      expect(t.metadata.natsServerMonitoringEndpoint).toBe(`nats.nats.svc.cluster.local:${values.config.monitor.port}`);
    }
  });

  it('creates every stream on three JetStream nodes', () => {
    for (const name of SERVICES) {
      const cfg = loadConfig(CONFIGS[name], environment(objs, containerOf(objs, name)).env) as { STREAM_REPLICAS: number };
      expect(cfg.STREAM_REPLICAS).toBe(3);
    }
  });
});

describe('deploy/k8s/overlays/production', () => {
  it('puts everything in its namespace, pins images and lists every NATS seed', () => {
    const objs = render('overlays/production');
    for (const o of objs.filter((x) => x.kind !== 'Namespace')) expect([o.kind, o.metadata.namespace]).toEqual([o.kind, 'stagehook']);
    for (const name of WORKLOADS) expect(containerOf(objs, name).image).toMatch(/^[\w./-]+:(?!latest$)[\w.-]+$/);
    const nats = environment(objs, containerOf(objs, 'delivery')).env.NATS_URL.split(',');
    expect(nats).toHaveLength(3);
  });
});

describe('deploy/nats/values.yaml (official NATS Helm chart)', () => {
  it('runs three NATS 2.9 servers with JetStream on file storage', () => {
    const v = readYaml(join(deployDir, 'nats/values.yaml')) as {
      config: {
        cluster: { enabled: boolean; replicas: number };
        jetstream: { enabled: boolean; fileStore: { enabled: boolean; pvc: { enabled: boolean } } };
        monitor: { enabled: boolean };
      };
      container: { image: { tag: string } };
      podDisruptionBudget: { enabled: boolean };
    };
    expect(v.config.cluster).toMatchObject({ enabled: true, replicas: 3 });
    expect(v.config.jetstream).toMatchObject({ enabled: true, fileStore: { enabled: true, pvc: { enabled: true } } });
    expect(v.config.monitor.enabled).toBe(true);
    expect(v.container.image.tag).toMatch(/^2\.9\./);
    expect(v.podDisruptionBudget.enabled).toBe(true);
  });
});
