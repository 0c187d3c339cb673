import { fileURLToPath } from 'node:url';

/**
 * For `node --import <this> some-file.ts`: lets a child process run TypeScript sources the way
 * jest does (SWC, legacy decorators with metadata, `.js` specifiers resolved to `.ts`), so tests
 * and benchmarks can start a service from its sources and kill it like a real process.
 */
export const SWC_REGISTER = fileURLToPath(new URL('../swc/register.js', import.meta.url));
