// class-transformer 0.5 ships its metadata storage without a declaration at this path.
declare module 'class-transformer/cjs/storage.js' {
  export const defaultMetadataStorage: {
    findTypeMetadata(target: object, propertyName: string): { typeFunction: () => unknown } | undefined;
  };
}
