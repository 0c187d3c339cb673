import { NotFoundError } from '../errors/domain-error.js';

/**
 * Cross-project access answers 404, never 403: a 403 would confirm to a caller holding another
 * project's token that the id exists. Every service checks the owning project of a resource it
 * loads by id against `@ProjectId()` with this (or filters by project in the query itself).
 *
 * @param what how the resource is named in the message, e.g. `endpoint ep_123`.
 */
export function assertSameProject(resourceProjectId: string | undefined | null, projectId: string, what: string): void {
  if (resourceProjectId !== projectId) throw new NotFoundError(`${what} not found`);
}

/** Loads-or-404 in one step: returns the resource if it exists and belongs to the project. */
export function foundInProject<T extends { projectId: string }>(resource: T | undefined | null, projectId: string, what: string): T {
  if (!resource) throw new NotFoundError(`${what} not found`);
  assertSameProject(resource.projectId, projectId, what);
  return resource;
}
