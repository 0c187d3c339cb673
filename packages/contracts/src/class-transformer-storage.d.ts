// class-transformer keeps its decorators' metadata (`@Type`, `@Transform`, `@Expose`, `@Exclude`)
// in one storage that its index does not re-export; its types are published beside the code.
declare module 'class-transformer/cjs/storage.js' {
  import type { MetadataStorage } from 'class-transformer/types/MetadataStorage.js';
  export const defaultMetadataStorage: MetadataStorage;
}
