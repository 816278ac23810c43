import assert from 'node:assert/strict';
import {jsonColumnsFromChecks} from '../../../src/mysql/discovery';
import {
  buildCheckConstraintsQuery,
  buildExportedKeysQuery,
  buildImportedKeysQuery,
  buildLiveColumnsQuery,
  buildLiveForeignKeysQuery,
  buildLiveIndexesQuery,
  buildOtherUniqueKeysCountQuery,
  buildPrimaryKeyQuery,
  buildTableColumnsQuery,
  buildUniqueIndexColumnsQuery,
  catalogText,
  jsonCheckColumn,
  type TableRef,
} from '../../../src/mysql/information-schema';
import {buildReadTable, liveTable, migrationDialect} from '../../../src/mysql/migration';

const MARIADB = migrationDialect({flavor: 'mariadb', version: '10.11.6', nativeJson: false});

/** The columns discovery and autoupdate each take for JSON, from the same CHECK_CONSTRAINTS rows. */
function jsonColumnsOfBoth(checks: {name: string; clause: unknown}[]): {
  discovery: string[];
  migration: string[];
} {
  const live = liveTable(
    {
      columns: ['doc', 'meta', 'my col', 'note'].map((name) => ({
        name,
        columnType: 'longtext',
        nullable: 'YES',
        columnDefault: null,
        extra: '',
      })),
      indexes: [],
      foreignKeys: [],
      checks,
    },
    MARIADB,
  );
  return {
    discovery: [...jsonColumnsFromChecks(checks)].map((c) => c.toLowerCase()).sort(),
    migration: (live?.columns ?? [])
      .filter((c) => c.json)
      .map((c) => c.name)
      .sort(),
  };
}

describe('information_schema', () => {
  describe('jsonCheckColumn: the one parser of MariaDB JSON checks', () => {
    const cases: [unknown, string | undefined][] = [
      ['json_valid(`doc`)', 'doc'],
      ['JSON_VALID(`Meta`)', 'Meta'],
      ['json_valid( `doc` )', 'doc'],
      [' json_valid (\n`doc`) ', 'doc'],
      ['json_valid(`my col`)', 'my col'],
      ['json_valid(`odd``name`)', 'odd`name'],
      [Buffer.from('json_valid(`doc`)'), 'doc'],
      ['`qty` > 0', undefined],
      ["json_valid(`doc`) and `doc` <> ''", undefined],
      ['json_valid(`a`) or json_valid(`b`)', undefined],
      ['json_valid(doc)', undefined],
      ['', undefined],
      [null, undefined],
    ];
    for (const [clause, column] of cases) {
      it(`${JSON.stringify(String(clause))} -> ${String(column)}`, () => {
        assert.equal(jsonCheckColumn(clause), column);
      });
    }
  });

  describe('discovery and autoupdate agree on the JSON columns', () => {
    it('a check whose name is not the column name: JSON for both', () => {
      const both = jsonColumnsOfBoth([{name: 'doc_is_json', clause: 'json_valid(`doc`)'}]);
      assert.deepEqual(both, {discovery: ['doc'], migration: ['doc']});
    });

    it('white space inside the clause: JSON for both', () => {
      const both = jsonColumnsOfBoth([
        {name: 'doc', clause: 'json_valid( `doc` )'},
        {name: 'my col', clause: 'json_valid(`my col`)'},
      ]);
      assert.deepEqual(both, {discovery: ['doc', 'my col'], migration: ['doc', 'my col']});
    });

    it('MariaDB’s own check of a JSON column, and checks that are not JSON', () => {
      const both = jsonColumnsOfBoth([
        {name: 'meta', clause: 'json_valid(`meta`)'},
        {name: 'note', clause: "json_valid(`note`) and `note` <> ''"},
        {name: 'positive', clause: '`qty` > 0'},
      ]);
      assert.deepEqual(both, {discovery: ['meta'], migration: ['meta']});
    });

    it('autoupdate reads the same CHECK_CONSTRAINTS query as discovery', () => {
      const ref = {schema: 'shop', table: 'orders'};
      assert.deepEqual(buildReadTable(ref).checks, buildCheckConstraintsQuery(ref));
    });
  });

  describe('the queries', () => {
    const builders: [string, (ref: TableRef) => {sql: string; params: readonly unknown[]}][] = [
      ['buildTableColumnsQuery', buildTableColumnsQuery],
      ['buildPrimaryKeyQuery', buildPrimaryKeyQuery],
      ['buildImportedKeysQuery', buildImportedKeysQuery],
      ['buildExportedKeysQuery', buildExportedKeysQuery],
      ['buildUniqueIndexColumnsQuery', buildUniqueIndexColumnsQuery],
      ['buildCheckConstraintsQuery', buildCheckConstraintsQuery],
      ['buildLiveColumnsQuery', buildLiveColumnsQuery],
      ['buildLiveIndexesQuery', buildLiveIndexesQuery],
      ['buildLiveForeignKeysQuery', buildLiveForeignKeysQuery],
      ['buildOtherUniqueKeysCountQuery', buildOtherUniqueKeysCountQuery],
    ];
    for (const [name, build] of builders) {
      it(`${name}: names are parameters; no schema is DATABASE()`, () => {
        const evil = "x' OR 1=1 -- `";
        const named = build({schema: evil, table: evil});
        assert.ok(!named.sql.includes(evil), named.sql);
        assert.deepEqual(named.params, [evil, evil]);
        assert.match(named.sql, /^SELECT .* FROM information_schema\.\w+/);
        for (const schema of [undefined, '']) {
          const current = build({schema, table: 't'});
          assert.match(current.sql, /\w+ = DATABASE\(\) AND [\w.]+ = \?/);
          assert.deepEqual(current.params, ['t']);
        }
      });
    }

    it('buildOtherUniqueKeysCountQuery: the statement upserts ran before', () => {
      assert.deepEqual(
        {...buildOtherUniqueKeysCountQuery({schema: undefined, table: 't'})},
        {
          sql:
            'SELECT COUNT(*) AS n FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE()' +
            " AND TABLE_NAME = ? AND NON_UNIQUE = 0 AND INDEX_NAME <> 'PRIMARY'",
          params: ['t'],
        },
      );
    });
  });

  it('catalogText: strings, binary strings, numbers; NULL is empty', () => {
    assert.equal(catalogText('a'), 'a');
    assert.equal(catalogText(Buffer.from('b')), 'b');
    assert.equal(catalogText(3), '3');
    assert.equal(catalogText(3n), '3');
    assert.equal(catalogText(null), '');
    assert.equal(catalogText(undefined), '');
  });
});
