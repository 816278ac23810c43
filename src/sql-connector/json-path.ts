import {InvalidFilterError} from './errors';
import type {ColumnMapping} from './model-mapping';
import type {PropertyDefinition} from './juggler-types';

/**
 * One step of a path into a JSON column: a member of an object, one element of an array, or every element of an
 * array (`each`, where a condition on the path holds when it holds for some element).
 */
export type JsonStep =
  | {readonly kind: 'member'; readonly name: string}
  | {readonly kind: 'index'; readonly index: number}
  | {readonly kind: 'each'};

/** What the model definition says is stored at a point of a path. */
type Shape =
  | {readonly kind: 'array'; readonly element: Shape}
  | {readonly kind: 'model'; readonly properties: Readonly<Record<string, PropertyDefinition>>}
  | {readonly kind: 'untyped'}
  | {readonly kind: 'scalar'};

const UNTYPED: Shape = {kind: 'untyped'};
const SCALAR: Shape = {kind: 'scalar'};
const UNTYPED_NAMES = new Set(['object', 'any', 'json']);

/** A juggler model class (an embedded model, or juggler's anonymous model for `{street: String}`). */
function propertiesOf(type: unknown): Record<string, PropertyDefinition> | undefined {
  if (type === null || (typeof type !== 'function' && typeof type !== 'object')) return undefined;
  const definition = (type as {definition?: {properties?: unknown}}).definition;
  const properties = definition?.properties;
  return properties !== null && typeof properties === 'object'
    ? (properties as Record<string, PropertyDefinition>)
    : undefined;
}

/**
 * The shape of a property type: `[T]` and `{type: Array, itemType: T}` (LoopBack 4's `@property.array(T)`) are arrays
 * of T; a model class is an object with known properties; `Object`, `any` and `JSON` are untyped.
 */
function shapeOf(type: unknown, itemType?: unknown): Shape {
  if (Array.isArray(type))
    return {kind: 'array', element: type.length > 0 ? shapeOf(type[0]) : UNTYPED};
  if (type === undefined || type === null) return UNTYPED;
  const properties = propertiesOf(type);
  if (properties) return {kind: 'model', properties};
  const name = (
    typeof type === 'string' ? type : ((type as {name?: unknown}).name ?? '')
  ) as unknown;
  const lower = typeof name === 'string' ? name.toLowerCase() : '';
  if (lower === 'array')
    return {kind: 'array', element: itemType === undefined ? UNTYPED : shapeOf(itemType)};
  return UNTYPED_NAMES.has(lower) ? UNTYPED : SCALAR;
}

function shapeOfProperty(definition: PropertyDefinition | undefined): Shape {
  return definition ? shapeOf(definition.type, definition.itemType) : UNTYPED;
}

/**
 * The steps of a dotted path below a JSON column, read with the model definition: where the definition says the
 * value is an array (`friends: [{name: String}]`, `tags: [String]`), the path goes through every element (`each`),
 * unless the next segment is an index (`friends.0.name`). Inside an untyped value (`Object`, `any`) nothing is known,
 * so every segment is a member (or an index when it is a number), as with a plain object. A segment with a lone UTF-16
 * surrogate is a 400 error: no JSON key has one, and a JSON path that holds one is not valid text to send.
 *
 * ```ts
 * resolveJsonPath(friends, ['name']); // [{kind: 'each'}, {kind: 'member', name: 'name'}]
 * ```
 */
export function resolveJsonPath(root: ColumnMapping, path: readonly string[]): JsonStep[] {
  const steps: JsonStep[] = [];
  let shape = shapeOfProperty(root.definition);
  for (const segment of path) {
    if (/\p{Cs}/u.test(segment)) {
      throw new InvalidFilterError(
        `Invalid path ${JSON.stringify(path.join('.'))}: a segment is not a well-formed string`,
      );
    }
    if (/^\d+$/.test(segment)) {
      steps.push({kind: 'index', index: Number(segment)});
      shape = shape.kind === 'array' ? shape.element : UNTYPED;
      continue;
    }
    while (shape.kind === 'array') {
      steps.push({kind: 'each'});
      shape = shape.element;
    }
    steps.push({kind: 'member', name: segment});
    shape =
      shape.kind === 'model'
        ? shapeOfProperty(
            Object.hasOwn(shape.properties, segment) ? shape.properties[segment] : undefined,
          )
        : shape.kind === 'untyped'
          ? UNTYPED
          : SCALAR;
  }
  // A path ending on an array of values (`emails: [String]`) compares each value; an array of objects is compared
  // as a whole, as an object is.
  while (shape.kind === 'array' && shape.element.kind !== 'model') {
    steps.push({kind: 'each'});
    shape = shape.element;
  }
  return steps;
}

/** Whether a path goes through the elements of an array. */
export function crossesArray(steps: readonly JsonStep[]): boolean {
  return steps.some((s) => s.kind === 'each');
}
