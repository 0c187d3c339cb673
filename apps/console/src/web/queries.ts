import type { DeliveryPage, StageCountsView, WorkflowView } from '@stagehook/sdk';
import { useQuery } from '@tanstack/react-query';
import { api, ok } from './api';

export function useEndpoints() {
  return useQuery({
    queryKey: ['endpoints'],
    queryFn: async () => (await ok(api.webhooks.GET('/endpoints', { params: { query: { limit: 200 } } }))).endpoints,
  });
}

export function useWorkflows() {
  return useQuery({ queryKey: ['workflows'], queryFn: () => ok<WorkflowView[]>(api.workflow.GET('/workflows')) });
}

export function useWorkflow(id: string) {
  return useQuery({
    queryKey: ['workflows', id],
    queryFn: () => ok<WorkflowView>(api.workflow.GET('/workflows/{id}', { params: { path: { id } } })),
  });
}

export function useStageCounts(id: string) {
  return useQuery({
    queryKey: ['stages', id],
    queryFn: () => ok<StageCountsView>(api.workflow.GET('/workflows/{id}/stages', { params: { path: { id } } })),
  });
}

export function useRecentDeliveries(limit = 200) {
  return useQuery({
    queryKey: ['deliveries', 'recent', limit],
    queryFn: () => ok<DeliveryPage>(api.delivery.GET('/deliveries', { params: { query: { limit } } })),
  });
}
