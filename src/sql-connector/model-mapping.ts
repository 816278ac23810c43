import {InvalidModelError} from './errors';
import type {JugglerType, ModelDefinition, PropertyDefinition} from './juggler-types';

/** One property with its column, as the builders need it. */
export interface ColumnMapping {
  readonly property: string;
  readonly column: string;
  /** The column name, escaped by the dialect. */
  readonly escaped: string;
  readonly definition: PropertyDefinition;
  /** The juggler type name, lower-cased: `string`, `number`, `date`, `boolean`, `object`, `array`, `geopoint`, ... */
  readonly type: string;
  /** The per-connector metadata (`definition[connectorName]`), or an empty object. */
  readonly metadata: Readonly<Record<string, unknown>>;
}

/** Everything the builders need to know about one model, computed once per model definition. */
export interface ModelMapping {
  readonly model: string;
  readonly table: string;
  readonly schema: string | undefined;
  /** The table name, qualified by the schema when the model names one, escaped by the dialect. */
  readonly tableEscaped: string;
  readonly columns: readonly ColumnMapping[];
  readonly byProperty: ReadonlyMap<string, ColumnMapping>;
  /** The id properties, in the order of their `id` index. */
  readonly ids: readonly ColumnMapping[];
  readonly definition: ModelDefinition;
}

/** The lower-cased juggler type name of a property: `String` → `string`, `[String]` → `array`. */
export function typeName(type: JugglerType | undefined): string {
  if (type === undefined || type === null) return 'string';
  if (Array.isArray(type)) return 'array';
  if (typeof type === 'string') return type.toLowerCase();
  const name = (type as {modelName?: unknown; name?: unknown}).name;
  if (typeof name === 'string' && name !== '') {
    // Embedded model classes are stored as JSON, like Object.
    if ((type as {modelName?: unknown}).modelName !== undefined) return 'object';
    return name.toLowerCase();
  }
  return 'object';
}

function metadataOf(
  owner: Record<string, unknown>,
  connectorName: string,
): Record<string, unknown> {
  const meta = owner[connectorName];
  return meta !== null && typeof meta === 'object' ? (meta as Record<string, unknown>) : {};
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Builds the mapping of a model: table and column names from the connector metadata (`<connectorName>: {table}` on
 * the model, `<connectorName>: {columnName}` on a property), escaped once with the dialect's `escapeName`.
 */
export function buildModelMapping(
  model: string,
  definition: ModelDefinition,
  connectorName: string,
  escapeName: (name: string) => string,
): ModelMapping {
  const modelMeta = metadataOf(definition.settings, connectorName);
  const table = nonEmptyString(modelMeta.table) ?? nonEmptyString(modelMeta.tableName) ?? model;
  const schema = nonEmptyString(modelMeta.schema) ?? nonEmptyString(modelMeta.schemaName);
  const columns: ColumnMapping[] = [];
  const byProperty = new Map<string, ColumnMapping>();
  const seenColumns = new Map<string, string>();
  for (const [property, def] of Object.entries(definition.properties)) {
    const metadata = metadataOf(def, connectorName);
    const column =
      nonEmptyString(metadata.columnName) ?? nonEmptyString(metadata.column) ?? property;
    const other = seenColumns.get(column.toLowerCase());
    if (other !== undefined) {
      throw new InvalidModelError(
        `Model ${model}: properties "${other}" and "${property}" both map to column "${column}"`,
      );
    }
    seenColumns.set(column.toLowerCase(), property);
    const mapping: ColumnMapping = {
      property,
      column,
      escaped: escapeName(column),
      definition: def,
      type: typeName(def.type),
      metadata,
    };
    columns.push(mapping);
    byProperty.set(property, mapping);
  }
  const ids = columns
    .filter((c) => c.definition.id)
    .sort((a, b) => idIndex(a.definition) - idIndex(b.definition));
  const tableEscaped = schema ? `${escapeName(schema)}.${escapeName(table)}` : escapeName(table);
  return {model, table, schema, tableEscaped, columns, byProperty, ids, definition};
}

function idIndex(def: PropertyDefinition): number {
  return typeof def.id === 'number' ? def.id : 1;
}
