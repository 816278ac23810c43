import assert from 'node:assert/strict';
import {
  buildChecksQuery,
  buildColumnsQuery,
  buildExportedForeignKeysQuery,
  buildForeignKeysQuery,
  buildModelDefinitionsQuery,
  buildPrimaryKeysQuery,
  buildSchemasQuery,
  buildUniqueKeysQuery,
  discoverModelProperties,
  discoverUniqueKeys,
  discoveryArgs,
  isGenerated,
  jsonColumnsFromChecks,
  mapColumnRow,
  mapForeignKeyRow,
  mapModelDefinitionRow,
  mapPrimaryKeyRow,
  mapSchemaRow,
  mapUniqueKeyRows,
  ownerOf,
  type DiscoveryQuery,
  type DiscoveryRunner,
} from '../../../src/mysql/discovery';
import {
  DEFAULT_TREAT_OPTIONS,
  isEnumType,
  propertyType,
  resolveTreatOptions,
  valueTypeRegistry,
  type TreatOptions,
  type ValueTypeRegistry,
} from '../../../src/mysql/property-type';
import {MySQL} from '../../../src';
import {UNKNOWN_SERVER, type ServerInfo} from '../../../src/mysql/server';

const COLUMNS_SELECT =
  'SELECT TABLE_SCHEMA AS `owner`, TABLE_NAME AS `tableName`, COLUMN_NAME AS `columnName`,' +
  ' DATA_TYPE AS `dataType`, CHARACTER_MAXIMUM_LENGTH AS `dataLength`,' +
  ' NUMERIC_PRECISION AS `dataPrecision`, NUMERIC_SCALE AS `dataScale`, COLUMN_TYPE AS `columnType`,' +
  ' IS_NULLABLE AS `nullable`, EXTRA AS `extra`, GENERATION_EXPRESSION AS `generationExpression`' +
  ' FROM information_schema.COLUMNS';

const FK_SELECT =
  'SELECT k.TABLE_SCHEMA AS `fkOwner`, k.CONSTRAINT_NAME AS `fkName`, k.TABLE_NAME AS `fkTableName`,' +
  ' k.COLUMN_NAME AS `fkColumnName`, k.ORDINAL_POSITION AS `keySeq`,' +
  ' k.REFERENCED_TABLE_SCHEMA AS `pkOwner`, r.UNIQUE_CONSTRAINT_NAME AS `pkName`,' +
  ' k.REFERENCED_TABLE_NAME AS `pkTableName`, k.REFERENCED_COLUMN_NAME AS `pkColumnName`' +
  ' FROM information_schema.KEY_COLUMN_USAGE k' +
  ' LEFT JOIN information_schema.REFERENTIAL_CONSTRAINTS r' +
  ' ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.TABLE_NAME = k.TABLE_NAME' +
  ' AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME' +
  ' WHERE k.REFERENCED_TABLE_NAME IS NOT NULL';

describe('mysql discovery (unit)', function () {
  describe('statement builders', function () {
    it('buildSchemasQuery: ordered, with an optional page', function () {
      const base =
        'SELECT CATALOG_NAME AS `catalog`, SCHEMA_NAME AS `schema` FROM information_schema.SCHEMATA' +
        ' ORDER BY SCHEMA_NAME';
      assert.deepEqual(buildSchemasQuery(), {sql: base, params: []});
      assert.deepEqual(buildSchemasQuery({limit: 10, offset: 20}), {
        sql: base + ' LIMIT ? OFFSET ?',
        params: [10, 20],
      });
      assert.deepEqual(buildSchemasQuery({limit: 5}), {sql: base + ' LIMIT ?', params: [5]});
      assert.deepEqual(buildSchemasQuery({offset: 3}), {
        sql: base + ' LIMIT 18446744073709551615 OFFSET ?',
        params: [3],
      });
      assert.deepEqual(buildSchemasQuery({skip: 3}), buildSchemasQuery({offset: 3}));
    });

    describe('buildModelDefinitionsQuery', function () {
      const select =
        "SELECT IF(TABLE_TYPE = 'VIEW', 'view', 'table') AS `type`, TABLE_NAME AS `name`," +
        ' TABLE_SCHEMA AS `owner` FROM information_schema.TABLES';
      const tables = "TABLE_TYPE IN ('BASE TABLE','SYSTEM VERSIONED')";
      const tablesAndViews = "TABLE_TYPE IN ('BASE TABLE','SYSTEM VERSIONED','VIEW')";
      const order = ' ORDER BY TABLE_SCHEMA, TABLE_NAME';

      it('defaults to the tables of the connected database', function () {
        assert.deepEqual(buildModelDefinitionsQuery(), {
          sql: `${select} WHERE ${tables} AND TABLE_SCHEMA = DATABASE()${order}`,
          params: [],
        });
        assert.deepEqual(buildModelDefinitionsQuery({}), buildModelDefinitionsQuery());
      });

      it('takes owner, or its alias schema, as a parameter', function () {
        const expected = {
          sql: `${select} WHERE ${tables} AND TABLE_SCHEMA = ?${order}`,
          params: ['shop'],
        };
        assert.deepEqual(buildModelDefinitionsQuery({owner: 'shop'}), expected);
        assert.deepEqual(buildModelDefinitionsQuery({schema: 'shop'}), expected);
        assert.deepEqual(buildModelDefinitionsQuery({owner: 'shop', schema: 'other'}), expected);
        // An owner wins over all.
        assert.deepEqual(buildModelDefinitionsQuery({owner: 'shop', all: true}), expected);
      });

      it('lists every database with all, and views with views', function () {
        assert.deepEqual(buildModelDefinitionsQuery({all: true}), {
          sql: `${select} WHERE ${tables}${order}`,
          params: [],
        });
        assert.deepEqual(buildModelDefinitionsQuery({views: true, all: true}), {
          sql: `${select} WHERE ${tablesAndViews}${order}`,
          params: [],
        });
      });

      it('pages after the order, with the owner first in the parameters', function () {
        assert.deepEqual(
          buildModelDefinitionsQuery({owner: 'shop', views: true, limit: 2, offset: 4}),
          {
            sql: `${select} WHERE ${tablesAndViews} AND TABLE_SCHEMA = ?${order} LIMIT ? OFFSET ?`,
            params: ['shop', 2, 4],
          },
        );
        // Numeric strings (query strings) are accepted.
        assert.deepEqual(buildModelDefinitionsQuery({limit: '2' as unknown as number}).params, [2]);
      });

      it('rejects a page that is not a non-negative integer', function () {
        for (const bad of [-1, 1.5, 'x', NaN, Infinity, {}]) {
          const label = JSON.stringify(bad) ?? 'undefined';
          assert.throws(
            () => buildModelDefinitionsQuery({limit: bad as number}),
            /Invalid limit/,
            label,
          );
          assert.throws(
            () => buildModelDefinitionsQuery({offset: bad as number}),
            /Invalid offset/,
            label,
          );
        }
      });
    });

    it('buildColumnsQuery: ordinal order, owner default DATABASE()', function () {
      assert.deepEqual(buildColumnsQuery('orders', undefined), {
        sql: `${COLUMNS_SELECT} WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
        params: ['orders'],
      });
      assert.deepEqual(buildColumnsQuery('orders', 'shop'), {
        sql: `${COLUMNS_SELECT} WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
        params: ['shop', 'orders'],
      });
    });

    it('buildChecksQuery (MariaDB JSON columns)', function () {
      assert.deepEqual(buildChecksQuery('orders', 'shop'), {
        sql:
          'SELECT CONSTRAINT_NAME AS `name`, CHECK_CLAUSE AS `clause` FROM information_schema.CHECK_CONSTRAINTS' +
          ' WHERE CONSTRAINT_SCHEMA = ? AND TABLE_NAME = ? ORDER BY CONSTRAINT_NAME',
        params: ['shop', 'orders'],
      });
      assert.equal(
        buildChecksQuery('orders', undefined).sql.includes('CONSTRAINT_SCHEMA = DATABASE()'),
        true,
      );
    });

    it('buildPrimaryKeysQuery', function () {
      assert.deepEqual(buildPrimaryKeysQuery('orders', 'shop'), {
        sql:
          'SELECT TABLE_SCHEMA AS `owner`, TABLE_NAME AS `tableName`, COLUMN_NAME AS `columnName`,' +
          ' ORDINAL_POSITION AS `keySeq`, CONSTRAINT_NAME AS `pkName`' +
          " FROM information_schema.KEY_COLUMN_USAGE WHERE CONSTRAINT_NAME = 'PRIMARY'" +
          ' AND TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
        params: ['shop', 'orders'],
      });
      assert.deepEqual(buildPrimaryKeysQuery('orders', undefined).params, ['orders']);
    });

    it('buildForeignKeysQuery: the keys the table imports', function () {
      assert.deepEqual(buildForeignKeysQuery('orders', 'shop'), {
        sql:
          FK_SELECT +
          ' AND k.TABLE_SCHEMA = ? AND k.TABLE_NAME = ? ORDER BY k.CONSTRAINT_NAME, k.ORDINAL_POSITION',
        params: ['shop', 'orders'],
      });
      assert.deepEqual(buildForeignKeysQuery('orders', undefined), {
        sql:
          FK_SELECT +
          ' AND k.TABLE_SCHEMA = DATABASE() AND k.TABLE_NAME = ? ORDER BY k.CONSTRAINT_NAME, k.ORDINAL_POSITION',
        params: ['orders'],
      });
    });

    it('buildExportedForeignKeysQuery: the keys that reference the table', function () {
      assert.deepEqual(buildExportedForeignKeysQuery('customer', 'shop'), {
        sql:
          FK_SELECT +
          ' AND k.REFERENCED_TABLE_SCHEMA = ? AND k.REFERENCED_TABLE_NAME = ?' +
          ' ORDER BY k.TABLE_SCHEMA, k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION',
        params: ['shop', 'customer'],
      });
      assert.ok(
        buildExportedForeignKeysQuery('customer', undefined).sql.includes(
          'k.REFERENCED_TABLE_SCHEMA = DATABASE()',
        ),
      );
    });

    it('buildUniqueKeysQuery', function () {
      assert.deepEqual(buildUniqueKeysQuery('customer', 'shop'), {
        sql:
          'SELECT COLUMN_NAME AS `columnName`, TABLE_SCHEMA AS `owner`, TABLE_NAME AS `tableName`,' +
          ' INDEX_NAME AS `indexName`, SEQ_IN_INDEX AS `seqInIndex`, SUB_PART AS `subPart`' +
          " FROM information_schema.STATISTICS WHERE NON_UNIQUE = 0 AND INDEX_NAME <> 'PRIMARY'" +
          ' AND TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY INDEX_NAME, SEQ_IN_INDEX',
        params: ['shop', 'customer'],
      });
    });

    it('never puts a table or owner name into the SQL text', function () {
      const evil = 'x`; DROP TABLE t; -- \'"';
      const owner = "o' OR '1'='1";
      const built: DiscoveryQuery[] = [
        buildModelDefinitionsQuery({owner, views: true, limit: 1, offset: 1}),
        buildColumnsQuery(evil, owner),
        buildChecksQuery(evil, owner),
        buildPrimaryKeysQuery(evil, owner),
        buildForeignKeysQuery(evil, owner),
        buildExportedForeignKeysQuery(evil, owner),
        buildUniqueKeysQuery(evil, owner),
      ];
      for (const q of built) {
        assert.ok(!q.sql.includes(evil) && !q.sql.includes(owner), q.sql);
        assert.ok(q.params.includes(owner), q.sql);
        assert.equal(q.sql.split('?').length - 1, q.params.length, q.sql);
        // Every result column is aliased (MySQL 8 returns information_schema names in upper case).
        assert.match(q.sql, /^SELECT .* AS `\w+`/);
      }
    });
  });

  describe('options', function () {
    it('ownerOf: owner, else schema, else undefined (the connected database)', function () {
      assert.equal(ownerOf({owner: 'a', schema: 'b'}), 'a');
      assert.equal(ownerOf({schema: 'b'}), 'b');
      assert.equal(ownerOf({owner: '', schema: 'b'}), 'b');
      assert.equal(ownerOf({}), undefined);
      assert.equal(ownerOf(undefined), undefined);
    });

    it('resolveTreatOptions: call options, then data source settings, then defaults', function () {
      assert.deepEqual(resolveTreatOptions({}, {}), {
        treatTINYINT1AsTinyInt: true,
        treatCHAR1AsString: false,
        treatBIT1AsBit: true,
      });
      assert.deepEqual(resolveTreatOptions(undefined, undefined), DEFAULT_TREAT_OPTIONS);
      assert.deepEqual(
        resolveTreatOptions(
          {},
          {treatTINYINT1AsTinyInt: false, treatCHAR1AsString: true, treatBIT1AsBit: false},
        ),
        {treatTINYINT1AsTinyInt: false, treatCHAR1AsString: true, treatBIT1AsBit: false},
      );
      assert.deepEqual(
        resolveTreatOptions(
          {treatTINYINT1AsTinyInt: 'true', treatCHAR1AsString: 'false', treatBIT1AsBit: 'true'},
          {treatTINYINT1AsTinyInt: false, treatCHAR1AsString: true, treatBIT1AsBit: false},
        ),
        DEFAULT_TREAT_OPTIONS,
      );
      // Garbage is ignored rather than read as false.
      assert.deepEqual(
        resolveTreatOptions({treatBIT1AsBit: 'maybe'}, {treatBIT1AsBit: false}).treatBIT1AsBit,
        false,
      );
    });

    it('discoveryArgs: the callback may take the place of the options', function () {
      const cb = () => undefined;
      assert.deepEqual(discoveryArgs(cb, undefined), [{}, cb]);
      assert.deepEqual(discoveryArgs(null, cb), [{}, cb]);
      assert.deepEqual(discoveryArgs({owner: 'a'}, cb), [{owner: 'a'}, cb]);
      assert.deepEqual(discoveryArgs(undefined, undefined), [{}, undefined]);
    });
  });

  describe('reverse type map', function () {
    const NO: TreatOptions = DEFAULT_TREAT_OPTIONS;
    const FLIPPED: TreatOptions = {
      treatTINYINT1AsTinyInt: false,
      treatCHAR1AsString: true,
      treatBIT1AsBit: false,
    };
    // [dataType, columnType, default options, flipped options]
    const TABLE: [string, string, string, string][] = [
      ['tinyint', 'tinyint(1)', 'Number', 'Boolean'],
      ['tinyint', 'tinyint(1) unsigned', 'Number', 'Boolean'],
      ['tinyint', 'tinyint(4)', 'Number', 'Number'],
      ['tinyint', 'tinyint', 'Number', 'Number'],
      ['char', 'char(1)', 'Boolean', 'String'],
      ['char', 'CHAR(1)', 'Boolean', 'String'],
      ['char', 'char(2)', 'String', 'String'],
      ['bit', 'bit(1)', 'Buffer', 'Boolean'],
      ['bit', 'bit(8)', 'Buffer', 'Buffer'],
      ['smallint', 'smallint(6)', 'Number', 'Number'],
      ['mediumint', 'mediumint(9)', 'Number', 'Number'],
      ['int', 'int(10) unsigned', 'Number', 'Number'],
      ['bigint', 'bigint(20) unsigned', 'Number', 'Number'],
      ['float', 'float', 'Number', 'Number'],
      ['double', 'double', 'Number', 'Number'],
      ['decimal', 'decimal(30,10)', 'Number', 'Number'],
      ['year', 'year(4)', 'Number', 'Number'],
      ['varchar', 'varchar(255)', 'String', 'String'],
      ['text', 'text', 'String', 'String'],
      ['longtext', 'longtext', 'String', 'String'],
      // lb4 discover reads ENUM members from a type that starts with `enum`.
      ['enum', "enum('a','b')", "enum('a','b')", "enum('a','b')"],
      ['ENUM', "ENUM('Yes','it''s, ok')", "enum('Yes','it''s, ok')", "enum('Yes','it''s, ok')"],
      ['set', "set('a','b')", 'String', 'String'],
      ['time', 'time(3)', 'String', 'String'],
      ['date', 'date', 'Date', 'Date'],
      ['datetime', 'datetime(3)', 'Date', 'Date'],
      ['timestamp', 'timestamp', 'Date', 'Date'],
      ['binary', 'binary(16)', 'Buffer', 'Buffer'],
      ['varbinary', 'varbinary(16)', 'Buffer', 'Buffer'],
      ['blob', 'blob', 'Buffer', 'Buffer'],
      ['longblob', 'longblob', 'Buffer', 'Buffer'],
      ['json', 'json', 'Object', 'Object'],
      ['JSON', 'json', 'Object', 'Object'],
      ['point', 'point', 'GeoPoint', 'GeoPoint'],
      ['polygon', 'polygon', 'Object', 'Object'],
      ['inet6', 'inet6', 'String', 'String'],
      ['uuid', 'uuid', 'String', 'String'],
    ];
    for (const [dataType, columnType, byDefault, flipped] of TABLE) {
      it(`${columnType} -> ${byDefault} (flipped: ${flipped})`, function () {
        assert.equal(propertyType(dataType, columnType, NO), byDefault);
        assert.equal(propertyType(dataType, columnType), byDefault);
        assert.equal(propertyType(dataType, columnType, FLIPPED), flipped);
      });
    }

    it('isEnumType: the discovered type of ENUM columns only', function () {
      assert.equal(isEnumType(propertyType('enum', "enum('a')")), true);
      for (const type of ['String', 'Number', 'Object', 'enumeration', "set('a')"]) {
        assert.equal(isEnumType(type), false, type);
      }
    });

    it('each treat* option only changes its own type', function () {
      const only = (key: keyof TreatOptions) => ({...NO, [key]: !NO[key]});
      assert.equal(
        propertyType('tinyint', 'tinyint(1)', only('treatTINYINT1AsTinyInt')),
        'Boolean',
      );
      assert.equal(propertyType('char', 'char(1)', only('treatTINYINT1AsTinyInt')), 'Boolean');
      assert.equal(propertyType('bit', 'bit(1)', only('treatTINYINT1AsTinyInt')), 'Buffer');
      assert.equal(propertyType('char', 'char(1)', only('treatCHAR1AsString')), 'String');
      assert.equal(propertyType('tinyint', 'tinyint(1)', only('treatCHAR1AsString')), 'Number');
      assert.equal(propertyType('bit', 'bit(1)', only('treatBIT1AsBit')), 'Boolean');
      assert.equal(propertyType('char', 'char(1)', only('treatBIT1AsBit')), 'Boolean');
    });
  });

  describe('row mappers', function () {
    it('isGenerated: auto_increment, virtual and stored columns, MySQL 8 and MariaDB spellings', function () {
      assert.equal(isGenerated('auto_increment'), true);
      assert.equal(isGenerated('AUTO_INCREMENT'), true);
      assert.equal(isGenerated('VIRTUAL GENERATED'), true);
      assert.equal(isGenerated('STORED GENERATED'), true);
      assert.equal(isGenerated('VIRTUAL'), true);
      assert.equal(isGenerated('PERSISTENT'), true);
      assert.equal(isGenerated('', '`a` * 2'), true);
      assert.equal(isGenerated(Buffer.from('STORED GENERATED')), true);
      assert.equal(isGenerated(''), false);
      assert.equal(isGenerated(null, null), false);
      assert.equal(isGenerated('', ''), false);
      // MySQL 8: DEFAULT CURRENT_TIMESTAMP [ON UPDATE ...] is not a generated column.
      assert.equal(isGenerated('DEFAULT_GENERATED'), false);
      assert.equal(isGenerated('DEFAULT_GENERATED on update CURRENT_TIMESTAMP'), false);
      assert.equal(isGenerated('on update current_timestamp()'), false);
    });

    it('mapColumnRow: the juggler shape', function () {
      const row = {
        owner: 'shop',
        tableName: 'orders',
        columnName: 'total',
        dataType: 'DECIMAL',
        dataLength: null,
        dataPrecision: 30,
        dataScale: '10',
        columnType: 'decimal(30,10)',
        nullable: 'YES',
        extra: 'STORED GENERATED',
        generationExpression: '`a` + `b`',
      };
      assert.deepEqual(mapColumnRow(row), {
        owner: 'shop',
        tableName: 'orders',
        columnName: 'total',
        dataType: 'decimal',
        dataLength: null,
        dataPrecision: 30,
        dataScale: 10,
        columnType: 'decimal(30,10)',
        nullable: 'Y',
        generated: true,
        type: 'Number',
      });
      assert.equal(mapColumnRow({...row, nullable: 'NO'}).nullable, 'N');
      assert.equal(mapColumnRow({...row, extra: '', generationExpression: null}).generated, false);
    });

    it('mapColumnRow: the treat* options and MariaDB JSON columns', function () {
      const flag = {
        owner: 'shop',
        tableName: 't',
        columnName: 'f',
        dataType: 'tinyint',
        columnType: 'tinyint(1)',
        nullable: 'YES',
        extra: '',
      };
      assert.equal(mapColumnRow(flag).type, 'Number');
      assert.equal(
        mapColumnRow(flag, {...DEFAULT_TREAT_OPTIONS, treatTINYINT1AsTinyInt: false}).type,
        'Boolean',
      );
      const doc = {...flag, columnName: 'doc', dataType: 'longtext', columnType: 'longtext'};
      assert.equal(mapColumnRow(doc).type, 'String');
      const json = mapColumnRow(doc, DEFAULT_TREAT_OPTIONS, new Set(['doc']));
      assert.equal(json.type, 'Object');
      assert.equal(json.dataType, 'json');
      assert.equal(json.columnType, 'longtext');
    });

    it('jsonColumnsFromChecks: the column checks json_valid(`col`)', function () {
      const found = jsonColumnsFromChecks([
        {name: 'doc', clause: 'json_valid(`doc`)'},
        {name: 'Meta', clause: 'JSON_VALID(`Meta`)'},
        {name: 'odd`name', clause: 'json_valid(`odd``name`)'},
        {name: 'positive', clause: '`positive` > 0'},
        {name: 'other', clause: 'json_valid(`doc`)'},
        {name: 'both', clause: "json_valid(`both`) and `both` <> ''"},
      ]);
      assert.deepEqual([...found], ['doc', 'Meta', 'odd`name']);
    });

    it('mapSchemaRow, mapModelDefinitionRow', function () {
      assert.deepEqual(mapSchemaRow({catalog: 'def', schema: 'shop'}), {
        catalog: 'def',
        schema: 'shop',
      });
      assert.deepEqual(mapModelDefinitionRow({type: 'view', name: 'v', owner: 'shop'}), {
        type: 'view',
        name: 'v',
        owner: 'shop',
      });
      assert.equal(mapModelDefinitionRow({type: 'table', name: 't', owner: 'shop'}).type, 'table');
    });

    it('mapPrimaryKeyRow, mapForeignKeyRow: numeric keySeq', function () {
      assert.deepEqual(
        mapPrimaryKeyRow({
          owner: 's',
          tableName: 't',
          columnName: 'c',
          keySeq: '2',
          pkName: 'PRIMARY',
        }),
        {owner: 's', tableName: 't', columnName: 'c', keySeq: 2, pkName: 'PRIMARY'},
      );
      const fk = {
        fkOwner: 's',
        fkName: 'fk',
        fkTableName: 'child',
        fkColumnName: 'parent_id',
        keySeq: 1,
        pkOwner: 's',
        pkName: 'PRIMARY',
        pkTableName: 'parent',
        pkColumnName: 'id',
      };
      assert.deepEqual(mapForeignKeyRow(fk), fk);
      assert.equal(mapForeignKeyRow({...fk, pkName: null}).pkName, null);
    });

    it('mapUniqueKeyRows: single whole-column unique indexes, each column once', function () {
      const row = (
        indexName: string,
        columnName: string | null,
        seqInIndex: number,
        subPart: number | null = null,
      ) => ({
        columnName,
        owner: 's',
        tableName: 't',
        indexName,
        seqInIndex,
        subPart,
      });
      assert.deepEqual(
        mapUniqueKeyRows([
          row('uq_a', 'a', 1),
          row('uq_a_again', 'a', 1),
          row('uq_bc', 'b', 1),
          row('uq_bc', 'c', 2),
          row('uq_prefix', 'd', 1, 10),
          row('uq_functional', null, 1),
          row('uq_e', 'e', 1),
        ]),
        [
          {columnName: 'a', owner: 's', tableName: 't', indexName: 'uq_a'},
          {columnName: 'e', owner: 's', tableName: 't', indexName: 'uq_e'},
        ],
      );
      assert.deepEqual(mapUniqueKeyRows([]), []);
    });
  });

  describe('running discovery', function () {
    function fakeRunner(
      server: ServerInfo,
      answers: Record<string, unknown>[][],
      valueTypes?: ValueTypeRegistry,
    ): DiscoveryRunner & {seen: DiscoveryQuery[]} {
      const seen: DiscoveryQuery[] = [];
      return {
        seen,
        query: (q) => {
          seen.push(q);
          return Promise.resolve(answers.shift() ?? []);
        },
        server: () => server,
        settings: {treatCHAR1AsString: true},
        valueTypes,
      };
    }
    function fakeRegistry(): ValueTypeRegistry & {defined: [unknown, string[]][]} {
      const defined: [unknown, string[]][] = [];
      return {defined, defineValueType: (type, aliases) => void defined.push([type, aliases])};
    }
    const MARIADB: ServerInfo = {...UNKNOWN_SERVER, flavor: 'mariadb', version: '10.11.0'};
    const column = (columnName: string, dataType: string, columnType = dataType) => ({
      owner: 's',
      tableName: 't',
      columnName,
      dataType,
      columnType,
      nullable: 'YES',
      extra: '',
    });

    it('MariaDB: reads the checks of a table with text columns to find JSON', async function () {
      const runner = fakeRunner(MARIADB, [
        [column('doc', 'longtext'), column('flag', 'char', 'char(1)')],
        [{name: 'doc', clause: 'json_valid(`doc`)'}],
      ]);
      const props = await discoverModelProperties(runner, 't', {owner: 's'});
      assert.deepEqual(
        props.map((p) => [p.columnName, p.dataType, p.type]),
        [
          ['doc', 'json', 'Object'],
          // treatCHAR1AsString from the data source settings.
          ['flag', 'char', 'String'],
        ],
      );
      assert.deepEqual(runner.seen, [buildColumnsQuery('t', 's'), buildChecksQuery('t', 's')]);
    });

    it('MariaDB without text columns, and MySQL: one statement', async function () {
      const maria = fakeRunner(MARIADB, [[column('n', 'int', 'int(11)')]]);
      await discoverModelProperties(maria, 't', {});
      assert.equal(maria.seen.length, 1);
      const mysql = fakeRunner({...UNKNOWN_SERVER, flavor: 'mysql', version: '8.4.0'}, [
        [column('doc', 'json'), column('body', 'longtext')],
      ]);
      const props = await discoverModelProperties(mysql, 't', {});
      assert.deepEqual(
        props.map((p) => p.type),
        ['Object', 'String'],
      );
      assert.deepEqual(mysql.seen, [buildColumnsQuery('t', undefined)]);
    });

    it('registers the ENUM types with juggler as String, each once', async function () {
      const registry = fakeRegistry();
      const runner = fakeRunner(
        MARIADB,
        [
          [
            column('status', 'enum', "enum('on','off')"),
            column('size', 'enum', "enum('s','m')"),
            column('again', 'enum', "enum('on','off')"),
            column('tags', 'set', "set('a','b')"),
            column('n', 'int', 'int(11)'),
          ],
        ],
        registry,
      );
      const props = await discoverModelProperties(runner, 't', {});
      assert.deepEqual(
        props.map((p) => p.type),
        ["enum('on','off')", "enum('s','m')", "enum('on','off')", 'String', 'Number'],
      );
      assert.deepEqual(registry.defined, [[String, ["enum('on','off')", "enum('s','m')"]]]);

      const none = fakeRegistry();
      await discoverModelProperties(fakeRunner(MARIADB, [[column('n', 'int')]], none), 't', {});
      assert.deepEqual(none.defined, []);
      // Without a registry (no juggler data source) the types are the same.
      const bare = fakeRunner(MARIADB, [[column('status', 'enum', "enum('on','off')")]]);
      assert.equal((await discoverModelProperties(bare, 't', {}))[0]?.type, "enum('on','off')");
    });

    it("valueTypeRegistry: a data source's modelBuilder with defineValueType", function () {
      const builder = {defineValueType: () => undefined};
      assert.equal(valueTypeRegistry({modelBuilder: builder}), builder);
      for (const ds of [undefined, null, 'db', {}, {modelBuilder: null}, {modelBuilder: {}}]) {
        assert.equal(valueTypeRegistry(ds), undefined, JSON.stringify(ds));
      }
    });

    it('rejects a missing table name before running anything', async function () {
      const runner = fakeRunner(MARIADB, []);
      await assert.rejects(discoverUniqueKeys(runner, '', {}), /table name/);
      await assert.rejects(
        discoverModelProperties(runner, 42 as unknown as string, {}),
        /table name/,
      );
      assert.equal(runner.seen.length, 0);
    });
  });

  describe('connector methods', function () {
    const ARITY: Record<string, number> = {
      discoverDatabaseSchemas: 2,
      discoverModelDefinitions: 2,
      discoverModelProperties: 3,
      discoverPrimaryKeys: 3,
      discoverForeignKeys: 3,
      discoverExportedForeignKeys: 3,
      discoverUniqueKeys: 3,
    };
    for (const [method, arity] of Object.entries(ARITY)) {
      it(`${method} takes ${arity} arguments, the callback last`, function () {
        const fn = (MySQL.prototype as unknown as Record<string, unknown>)[method];
        assert.equal(typeof fn, 'function');
        assert.equal((fn as (...args: unknown[]) => unknown).length, arity);
      });
    }

    it('a bad argument settles the callback, or rejects the promise', async function () {
      const connector = new MySQL({});
      await assert.rejects(
        connector.discoverModelDefinitions({limit: -1}) as Promise<unknown>,
        /Invalid limit/,
      );
      const err = await new Promise<unknown>((resolve) => {
        void connector.discoverPrimaryKeys('', {}, (e) => resolve(e));
      });
      assert.match(String(err), /table name/);
    });
  });
});
