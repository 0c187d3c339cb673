import type { DarwinAnnotation } from '@stagehook/contracts';

// The checks moved to contracts so delivery can refuse a malformed write-back response with the
// same rules items applies; items keeps its own names for them.
export { checkAnnotation, shapeOf, OUTSIDE_TOLERANCE, MAX_OPAQUE_BYTES, MAX_OPAQUE_DEPTH, type CheckResult, type SlotGeometry } from '@stagehook/contracts';

/** What we store per annotation: exactly the Darwin JSON 2.0 annotation we export. */
export type Annotation = DarwinAnnotation;
