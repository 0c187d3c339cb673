// `@stagehook/platform/domain`: what a service's pure domain code may use from the platform —
// error classes with codes and the actor naming of tokens — without loading Nest, TypeORM or
// anything with I/O. The lint rule `domain-is-pure` (.dependency-cruiser.cjs) keeps domain code
// on this entry point.
export * from './errors/domain-error.js';
export { actorRef, actorRefOrProject, ACTOR_ID_PATTERN, type TokenActor } from './auth/token.js';
