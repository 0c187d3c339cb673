// Lets a child `node` process run this package's TypeScript sources the way jest does (SWC,
// legacy decorators with metadata, `.js` specifiers resolved to `.ts`):
//   node --import ./test/support/swc-register.js test/support/some-fixture.ts
import { register } from 'node:module';

register('./swc-loader.js', import.meta.url);
