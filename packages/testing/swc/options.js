// The SWC transform every test runs TypeScript with (jest through @swc/jest, child processes
// through loader.js): ESM out, legacy decorators with their metadata (Nest DI and
// class-validator read it).
export const SWC_OPTIONS = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
  },
  module: { type: 'es6' },
  sourceMaps: 'inline',
};
