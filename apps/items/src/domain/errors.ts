import { DomainError } from '@stagehook/platform/domain';

/** WIRE NAMES: clients branch on these codes. Their HTTP statuses are mapped in ../errors.ts. */
export const ItemsErrorCode = {
  ITEM_NOT_FOUND: 'ITEM_NOT_FOUND',
  ITEM_EXISTS: 'ITEM_EXISTS',
  ANNOTATION_NOT_FOUND: 'ANNOTATION_NOT_FOUND',
  ANNOTATION_EXISTS: 'ANNOTATION_EXISTS',
  TAG_NOT_FOUND: 'TAG_NOT_FOUND',
  TAG_NOT_UPDATABLE: 'TAG_NOT_UPDATABLE',
  ILLEGAL_STATUS_TRANSITION: 'ILLEGAL_STATUS_TRANSITION',
  VERSION_NOT_FOUND: 'VERSION_NOT_FOUND',
  DATASET_NOT_FOUND: 'DATASET_NOT_FOUND',
  DATASET_EXISTS: 'DATASET_EXISTS',
} as const;

export class ItemNotFoundError extends DomainError {
  constructor(itemId: string) {
    super(ItemsErrorCode.ITEM_NOT_FOUND, `item ${itemId} not found`);
  }
}

export class ItemExistsError extends DomainError {
  constructor(what: string) {
    super(ItemsErrorCode.ITEM_EXISTS, `${what} already exists`);
  }
}

export class AnnotationNotFoundError extends DomainError {
  constructor(annotationId: string) {
    super(ItemsErrorCode.ANNOTATION_NOT_FOUND, `annotation ${annotationId} not found`);
  }
}

export class AnnotationExistsError extends DomainError {
  constructor(annotationId: string) {
    super(ItemsErrorCode.ANNOTATION_EXISTS, `annotation ${annotationId} already exists on this item`);
  }
}

export class TagNotFoundError extends DomainError {
  constructor(tag: string) {
    super(ItemsErrorCode.TAG_NOT_FOUND, `tag ${tag} not found on this item`);
  }
}

/** Tags are a set of names; renaming one in place, or turning it into a shape, would blur that. */
export class TagNotUpdatableError extends DomainError {
  constructor(annotationId: string) {
    super(ItemsErrorCode.TAG_NOT_UPDATABLE, `annotation ${annotationId} is or would become a tag: remove it and add the new one instead`);
  }
}

export class IllegalStatusTransitionError extends DomainError {
  constructor(
    readonly from: string,
    readonly to: string,
  ) {
    super(ItemsErrorCode.ILLEGAL_STATUS_TRANSITION, `cannot change status from ${from} to ${to}`, { from, to });
  }
}

export class VersionNotFoundError extends DomainError {
  constructor(itemId: string, version: number, latest: number) {
    super(ItemsErrorCode.VERSION_NOT_FOUND, `item ${itemId} has no version ${version} (latest is ${latest})`, { version, latest });
  }
}

export class DatasetNotFoundError extends DomainError {
  constructor(datasetId: string) {
    super(ItemsErrorCode.DATASET_NOT_FOUND, `dataset ${datasetId} not found`);
  }
}

export class DatasetExistsError extends DomainError {
  constructor(slug: string) {
    super(ItemsErrorCode.DATASET_EXISTS, `a dataset with slug ${slug} already exists`);
  }
}
