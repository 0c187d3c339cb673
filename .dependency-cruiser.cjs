// The module boundaries DESIGN.md draws, checked on every `npm test` (`npm run lint:deps`).
// A service learns about another only from its events and RPC contracts (packages/contracts), so
// apps never import each other; business rules are pure, so a service's `domain/` imports neither
// Nest nor TypeORM nor its own persistence; shared packages never reach into a service.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle means two modules are one; move the shared part to a package or a lower module.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'apps-are-independent',
      severity: 'error',
      comment: 'A service never imports another service: it knows it by its events and RPC contracts.',
      from: { path: '^apps/([^/]+)/' },
      to: { path: '^apps/([^/]+)/', pathNot: '^apps/$1/' },
    },
    {
      name: 'packages-never-import-apps',
      severity: 'error',
      comment: 'Shared code is below the services; a package that needs a service is in the wrong place.',
      from: { path: '^packages/' },
      to: { path: '^apps/' },
    },
    {
      name: 'domain-is-pure',
      severity: 'error',
      comment: 'Deciders and domain rules are pure functions: no framework, no database, no persistence layer.',
      from: { path: '^apps/[^/]+/src/domain/' },
      to: {
        path: ['^node_modules/(@nestjs|typeorm|pg|@nats-io|undici|opossum|express)/', '^packages/(platform/dist/index|messaging/|testing/)', '^apps/[^/]+/src/(?!domain/)'],
      },
    },
    {
      name: 'domain-uses-event-store-types-only',
      severity: 'error',
      comment: "A decider implements the event store's Decider type; it never loads or appends itself.",
      from: { path: '^apps/[^/]+/src/domain/' },
      to: { path: '^packages/event-store/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'contracts-depend-on-nothing-of-ours',
      severity: 'error',
      comment: 'Every service and package builds on the contracts; they build on no other package of ours.',
      from: { path: '^packages/contracts/src/' },
      to: { path: '^packages/(?!contracts/)' },
    },
  ],
  options: {
    // Workspace packages resolve to their built `dist/`; neither they nor npm packages are cruised
    // further, so each rule sees the entry point a source file imports.
    doNotFollow: { path: ['(^|/)node_modules/', '^packages/[^/]+/dist/', '^apps/[^/]+/dist/'] },
    exclude: { path: ['\\.d\\.ts$', '(^|/)src/generated/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.base.json' },
  },
};
