// Lets a child `node` process run TypeScript sources the way jest does (SWC, legacy decorators
// with metadata, `.js` specifiers resolved to `.ts`). Tests take its path as SWC_REGISTER:
//   node --import "$SWC_REGISTER" test/support/some-fixture.ts
import { register } from 'node:module';

register('./loader.js', import.meta.url);
