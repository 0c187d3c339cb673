import type { StageType, StageView, WorkflowView } from '@stagehook/sdk';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import {
  applyNodeChanges,
  Background,
  Controls,
  type Edge,
  Handle,
  MarkerType,
  type Node,
  type NodeChange,
  type NodeProps,
  Position,
  ReactFlow,
  ReactFlowProvider,
  useReactFlow,
} from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { useEffect, useId, useMemo, useState } from 'react';
import { useSearchParams } from 'wouter';
import { ApiError, errorMessage, ok, api } from '../api';
import { StageCard } from '../components/StageCard';
import { WebhookStagePanel } from '../components/WebhookStagePanel';
import { layout, nextEdgeName, type Problems, sortProblems, STAGE_TYPES } from '../graph';
import { useStageCounts, useWorkflow } from '../queries';

type StageNodeData = { stage: StageView; count: number | undefined; problems: string[]; detail?: string };
type StageNode = Node<StageNodeData, 'stage'>;

function StageNodeView({ data, selected }: NodeProps<StageNode>) {
  const { stage } = data;
  return (
    <>
      {stage.type !== 'dataset' && <Handle type="target" position={Position.Left} />}
      <StageCard name={stage.name} type={stage.type} count={data.count} problems={data.problems} selected={selected} detail={data.detail} />
      {stage.type !== 'complete' && <Handle type="source" position={Position.Right} />}
    </>
  );
}

const nodeTypes = { stage: StageNodeView };

const EDGE_COLOURS: Record<string, string> = { succeeded: '#1f9d55', approve: '#1f9d55', failed: '#d64545', reject: '#d64545' };

const EMPTY: Problems = { byStage: new Map(), byEdge: new Map(), general: [] };

export default function WorkflowCanvas({ id }: { id: string }) {
  const workflow = useWorkflow(id);
  if (workflow.isPending) return <p role="status">Loading…</p>;
  if (workflow.error)
    return (
      <p role="alert" className="error">
        {errorMessage(workflow.error)}
      </p>
    );
  return (
    <ReactFlowProvider>
      <Editor key={`${workflow.data.workflowId}@${workflow.data.version}`} workflow={workflow.data} />
    </ReactFlowProvider>
  );
}

function Editor({ workflow }: { workflow: WorkflowView }) {
  const queryClient = useQueryClient();
  const counts = useStageCounts(workflow.workflowId);
  const flow = useReactFlow();
  const [params, setParams] = useSearchParams();
  const selectedId = params.get('stage') ?? undefined;
  const [stages, setStages] = useState<StageView[]>(workflow.stages);
  const [positions, setPositions] = useState(() => layout(workflow.stages));
  // React Flow shows a node once it has measured it; the sizes come back through onNodesChange.
  const [measured, setMeasured] = useState(new Map<string, { width?: number; height?: number }>());
  const [problems, setProblems] = useState<Problems>(EMPTY);
  const [dirty, setDirty] = useState(false);
  const ids = { type: useId(), name: useId() };
  const [newType, setNewType] = useState<StageType>('annotate');
  const [newName, setNewName] = useState('');

  // The service names stages by id; the canvas shows their names where it can.
  const stageName = (m: string, id: string) => {
    const name = stages.find((s) => s.id === id)?.name;
    return name ? `stage '${name}'` : m;
  };
  const named = (list: string[]) => list.map((p) => p.replace(/stage '([^']+)'/g, stageName));
  const countOf = useMemo(() => new Map(counts.data?.stages.map((s) => [s.stageId, s.count]) ?? []), [counts.data]);

  const edit = (next: StageView[]) => {
    setStages(next);
    setDirty(true);
  };

  const nodes: StageNode[] = stages.map((s) => ({
    id: s.id,
    type: 'stage',
    position: positions.get(s.id) ?? { x: 0, y: 0 },
    measured: measured.get(s.id),
    selected: s.id === selectedId,
    ariaLabel: `${s.name} stage (${s.type})`,
    data: { stage: s, count: countOf.get(s.id) ?? (counts.data ? 0 : undefined), problems: named(problems.byStage.get(s.id) ?? []) },
  }));
  const edges: Edge[] = stages.flatMap((s) =>
    s.edges.map((e) => {
      const bad = problems.byEdge.has(`${s.id}/${e.name}`);
      const colour = bad ? '#d64545' : EDGE_COLOURS[e.name];
      return {
        id: `${s.id}/${e.name}`,
        source: s.id,
        target: e.to,
        label: bad ? `${e.name} ⚠` : e.name,
        ariaLabel: `${e.name} from ${s.name}`,
        markerEnd: { type: MarkerType.ArrowClosed },
        style: colour ? { stroke: colour, strokeWidth: 2 } : { strokeWidth: 1.5 },
        labelStyle: colour ? { fill: colour, fontWeight: 600 } : undefined,
      };
    }),
  );

  const save = useMutation({
    mutationFn: () =>
      ok<WorkflowView>(
        api.workflow.PUT('/workflows/{id}', {
          params: { path: { id: workflow.workflowId }, header: { 'if-match': String(workflow.version) } },
          body: { name: workflow.name, stages },
        }),
      ),
    onSuccess: async (saved) => {
      setProblems(EMPTY);
      setDirty(false);
      queryClient.setQueryData(['workflows', workflow.workflowId], saved);
      await queryClient.invalidateQueries({ queryKey: ['workflows'] });
    },
    onError: (err) => {
      const list = err instanceof ApiError ? err.body?.details?.problems : undefined;
      setProblems(Array.isArray(list) ? sortProblems(list.map(String)) : EMPTY);
    },
  });

  useEffect(() => {
    if (selectedId && !stages.some((s) => s.id === selectedId)) setParams({}, { replace: true });
  }, [selectedId, stages, setParams]);

  const selected = stages.find((s) => s.id === selectedId);
  const updateStage = (next: StageView) => edit(stages.map((s) => (s.id === next.id ? next : s)));

  return (
    <>
      <div className="row" style={{ justifyContent: 'space-between' }}>
        <h1>
          {workflow.name} <span className="muted">v{workflow.version}</span>
        </h1>
        <div className="row">
          <button type="button" onClick={() => save.mutate()} disabled={save.isPending || !dirty}>
            {save.isPending ? 'Saving…' : dirty ? 'Save workflow' : 'Saved'}
          </button>
        </div>
      </div>
      {save.error && (
        <div role="alert" className="error">
          <p>{save.error instanceof ApiError && save.error.body?.details?.problems ? 'Saving found these problems (shown on their stages):' : errorMessage(save.error)}</p>
          {problems.general.length > 0 && (
            <ul>
              {problems.general.map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          )}
        </div>
      )}
      <div className="grid2">
        <section aria-label="Workflow canvas">
          <div className="canvas">
            <ReactFlow
              nodes={nodes}
              edges={edges}
              nodeTypes={nodeTypes}
              fitView
              colorMode="system"
              nodesFocusable
              edgesFocusable
              onNodesChange={(changes: NodeChange<StageNode>[]) => {
                const moved = applyNodeChanges(changes, nodes);
                setPositions(new Map(moved.map((n) => [n.id, n.position])));
                setMeasured(new Map(moved.flatMap((n) => (n.measured ? [[n.id, n.measured] as const] : []))));
                const removed = changes.filter((c) => c.type === 'remove').map((c) => c.id);
                if (removed.length > 0) edit(stages.filter((s) => !removed.includes(s.id)).map((s) => ({ ...s, edges: s.edges.filter((e) => !removed.includes(e.to)) })));
              }}
              onEdgesDelete={(gone) => {
                const ids = new Set(gone.map((e) => e.id));
                edit(stages.map((s) => ({ ...s, edges: s.edges.filter((e) => !ids.has(`${s.id}/${e.name}`)) })));
              }}
              onConnect={(c) => {
                const from = stages.find((s) => s.id === c.source);
                if (!from || !c.target) return;
                const name = nextEdgeName(from);
                if (!name) return;
                updateStage({ ...from, edges: [...from.edges, { name, to: c.target }] });
              }}
              onNodeClick={(_e, n) => setParams({ stage: n.id })}
              onPaneClick={() => setParams({})}
            >
              <Background />
              <Controls />
            </ReactFlow>
          </div>
          <form
            className="row"
            style={{ marginTop: '0.6rem' }}
            onSubmit={(e) => {
              e.preventDefault();
              const stageId = crypto.randomUUID();
              edit([...stages, { id: stageId, name: newName || newType, type: newType, edges: [] }]);
              // Below the lowest stage, then the view is fitted so the new node is on screen.
              const lowest = Math.max(0, ...[...positions.values()].map((p) => p.y));
              setPositions(new Map(positions).set(stageId, { x: 0, y: lowest + 140 }));
              void flow.fitView({ duration: 200 });
              setNewName('');
              setParams({ stage: stageId });
            }}
          >
            <label htmlFor={ids.type}>New stage type</label>
            <select id={ids.type} value={newType} onChange={(e) => setNewType(e.target.value as StageType)}>
              {STAGE_TYPES.map((t) => (
                <option key={t}>{t}</option>
              ))}
            </select>
            <label htmlFor={ids.name}>Name</label>
            <input id={ids.name} value={newName} onChange={(e) => setNewName(e.target.value)} placeholder="Second review" />
            <button type="submit" className="secondary">
              Add stage
            </button>
          </form>
          <StageOutline stages={stages} counts={countOf} onSelect={(s) => setParams({ stage: s })} />
        </section>
        <aside aria-label="Stage settings" className="card">
          {selected ? (
            <StagePanel key={selected.id} stage={selected} stages={stages} onChange={updateStage} problems={named(problems.byStage.get(selected.id) ?? [])} />
          ) : (
            <p className="muted">Select a stage on the canvas or in the outline to configure it.</p>
          )}
        </aside>
      </div>
    </>
  );
}

/** The graph as a table: every stage, its outputs and count, reachable without a pointer. */
function StageOutline({ stages, counts, onSelect }: { stages: StageView[]; counts: Map<string, number>; onSelect: (id: string) => void }) {
  const name = (id: string) => stages.find((s) => s.id === id)?.name ?? id;
  return (
    <table aria-label="Stages outline" style={{ marginTop: '0.8rem' }}>
      <thead>
        <tr>
          <th scope="col">Stage</th>
          <th scope="col">Type</th>
          <th scope="col">Outputs</th>
          <th scope="col">Items</th>
        </tr>
      </thead>
      <tbody>
        {stages.map((s) => (
          <tr key={s.id}>
            <td>
              <button type="button" className="secondary" onClick={() => onSelect(s.id)}>
                {s.name}
              </button>
            </td>
            <td>{s.type}</td>
            <td>{s.edges.map((e) => `${e.name} → ${name(e.to)}`).join(', ') || '—'}</td>
            <td data-testid={`outline-count-${s.name}`}>{counts.get(s.id) ?? 0}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function StagePanel({ stage, stages, onChange, problems }: { stage: StageView; stages: StageView[]; onChange: (s: StageView) => void; problems: string[] }) {
  const nameId = useId();
  return (
    <div className="form">
      <h2>{stage.name}</h2>
      <p className="muted">
        {stage.type} stage · <code>{stage.id}</code>
      </p>
      <label htmlFor={nameId}>Stage name</label>
      <input id={nameId} value={stage.name} onChange={(e) => onChange({ ...stage, name: e.target.value })} />
      {stage.edges.length > 0 && <p>Outputs: {stage.edges.map((e) => `${e.name} → ${stages.find((s) => s.id === e.to)?.name ?? e.to}`).join(', ')}</p>}
      {problems.length > 0 && (
        <ul className="error" aria-label="Problems with this stage">
          {problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      )}
      {stage.type === 'webhook' && <WebhookStagePanel stage={stage} onChange={onChange} />}
    </div>
  );
}
