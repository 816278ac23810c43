/* eslint-disable @typescript-eslint/no-explicit-any -- juggler is untyped here: models, instances and rows are dynamic */
/*
 * Discovery against the real server: every discover* call on the fixture schema (test/fixtures/schema.sql), then
 * models built by discoverAndBuildModels that create, read, update and delete every column type.
 */
import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import {createDatabase, dataSourceSettings, dropDatabase} from '../helpers/mysql-config';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const {DataSource} = require('loopback-datasource-juggler');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const connector = require('../../src');

const FIXTURE = join(__dirname, '..', 'fixtures', 'schema.sql');
const TABLES = ['all_types', 'customer', 'treat_flags', 'warehouse'];

/** The fixture's statements: split on `;` at line ends, comment lines dropped. */
function fixtureStatements(): string[] {
  return readFileSync(FIXTURE, 'utf8')
    .split(/;\s*$/m)
    .map((s) =>
      s
        .split('\n')
        .filter((line) => !/^\s*--/.test(line))
        .join('\n')
        .trim(),
    )
    .filter((s) => s !== '');
}

function cbToPromise<T>(call: (cb: (err: Error | null, result?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    call((err, result) => (err ? reject(err) : resolve(result as T)));
  });
}

describe('discovery (integration)', function () {
  let db: string;
  let other: string;
  let ds: any;
  const extra: any[] = [];

  function newDataSource(overrides: Record<string, unknown> = {}): any {
    const d = new DataSource(connector, dataSourceSettings(db, overrides));
    extra.push(d);
    return d;
  }

  before(async function () {
    db = await createDatabase('discovery');
    other = await createDatabase('discovery_other');
    ds = new DataSource(connector, dataSourceSettings(db));
    for (const statement of fixtureStatements()) await ds.connector.execute(statement, [], {});
    await ds.connector.execute(
      `CREATE TABLE \`${other}\`.elsewhere (id INT PRIMARY KEY, customer_id INT,` +
        ` CONSTRAINT fk_elsewhere_customer FOREIGN KEY (customer_id) REFERENCES \`${db}\`.customer (id))`,
      [],
      {},
    );
  });

  after(async function () {
    for (const d of [ds, ...extra]) if (d) await d.disconnect();
    if (other) await dropDatabase(other);
    if (db) await dropDatabase(db);
  });

  /** `names` sorted as the server sorts database names (by its own collation), to compare orders with. */
  async function inServerOrder(names: readonly string[]): Promise<string[]> {
    const rows = await ds.execute(
      'SELECT SCHEMA_NAME AS s FROM information_schema.SCHEMATA ORDER BY SCHEMA_NAME',
    );
    const rank = new Map<string, number>(rows.map((r: any, i: number) => [r.s, i]));
    return [...names].sort((a, b) => (rank.get(a) ?? -1) - (rank.get(b) ?? -1));
  }

  describe('discoverDatabaseSchemas', function () {
    it('lists the databases by name, with a page', async function () {
      const all = await ds.connector.discoverDatabaseSchemas({});
      const names = all.map((s: any) => s.schema);
      assert.ok(names.includes(db));
      assert.ok(names.includes(other));
      assert.ok(names.includes('information_schema'));
      // In the server's collation (which databases exist besides ours depends on the server, and how '_' sorts
      // against letters on its collation): ours come in this order in any collation.
      assert.deepEqual(await inServerOrder(names), names);
      assert.deepEqual(
        names.filter((n: string) => [db, other, 'information_schema'].includes(n)),
        ['information_schema', db, other],
      );
      assert.deepEqual(all[0], {catalog: 'def', schema: all[0].schema});
      const page = await ds.connector.discoverDatabaseSchemas({limit: 2, offset: 1});
      assert.deepEqual(page, all.slice(1, 3));
    });

    it('answers a callback', async function () {
      const list = await cbToPromise<any[]>((cb) => ds.connector.discoverDatabaseSchemas({}, cb));
      assert.ok(list.some((s) => s.schema === db));
    });
  });

  describe('discoverModelDefinitions', function () {
    it('lists the tables of the connected database (not of the user name), by name', async function () {
      const defs = await ds.discoverModelDefinitions();
      assert.deepEqual(
        defs,
        TABLES.map((name) => ({type: 'table', name, owner: db})),
      );
    });

    it('lists views with views: true', async function () {
      const defs = await ds.discoverModelDefinitions({views: true});
      assert.deepEqual(
        defs.map((d: any) => [d.type, d.name]),
        [
          ['table', 'all_types'],
          ['table', 'customer'],
          ['view', 'customer_emails'],
          ['table', 'treat_flags'],
          ['table', 'warehouse'],
        ],
      );
      assert.ok(defs.every((d: any) => d.owner === db));
    });

    it('lists another database with owner or schema', async function () {
      const byOwner = await ds.discoverModelDefinitions({owner: other});
      assert.deepEqual(byOwner, [{type: 'table', name: 'elsewhere', owner: other}]);
      const bySchema = await ds.discoverModelDefinitions({schema: other, views: true});
      assert.deepEqual(bySchema, byOwner);
    });

    it('lists every database with all: true, ordered by owner and name', async function () {
      const defs = await ds.discoverModelDefinitions({all: true, views: true});
      const keys = defs.map((d: any) => `${d.owner}.${d.name}`);
      assert.ok(keys.includes(`${db}.all_types`));
      assert.ok(keys.includes(`${db}.customer_emails`));
      assert.ok(keys.includes(`${other}.elsewhere`));
      const owners: string[] = [...new Set<string>(defs.map((d: any) => d.owner))];
      assert.deepEqual(await inServerOrder(owners), owners);
      const mine = defs.filter((d: any) => d.owner === db).map((d: any) => d.name);
      assert.deepEqual(mine, [
        'all_types',
        'customer',
        'customer_emails',
        'treat_flags',
        'warehouse',
      ]);
    });

    it('pages with limit and offset in a stable order, tables and views together', async function () {
      const all = await ds.discoverModelDefinitions({views: true});
      const pages = [];
      for (let offset = 0; offset < all.length; offset += 2) {
        pages.push(...(await ds.discoverModelDefinitions({views: true, limit: 2, offset})));
      }
      assert.deepEqual(pages, all);
      assert.deepEqual(await ds.discoverModelDefinitions({views: true, offset: 3}), all.slice(3));
      assert.deepEqual(
        await ds.discoverModelDefinitions({views: true, skip: 4, limit: 5}),
        all.slice(4),
      );
      assert.deepEqual(await ds.discoverModelDefinitions({limit: 1}), [
        {type: 'table', name: 'all_types', owner: db},
      ]);
    });

    it('rejects a negative limit', async function () {
      await assert.rejects(ds.discoverModelDefinitions({limit: -1}), /Invalid limit/);
    });

    it('returns a promise when the connector is called without a callback', async function () {
      const defs = await ds.connector.discoverModelDefinitions({});
      assert.equal(defs.length, TABLES.length);
    });
  });

  describe('discoverModelProperties', function () {
    let columns: any[];
    let byName: Record<string, any>;

    before(async function () {
      columns = await ds.discoverModelProperties('all_types');
      byName = Object.fromEntries(columns.map((c: any) => [c.columnName, c]));
    });

    it('lists the columns in their order, with the juggler shape', function () {
      assert.deepEqual(columns.slice(0, 2), [
        {
          owner: db,
          tableName: 'all_types',
          columnName: 'id',
          dataType: 'int',
          dataLength: null,
          dataPrecision: 10,
          dataScale: 0,
          columnType: columns[0].columnType,
          nullable: 'N',
          generated: true,
          type: 'Number',
        },
        {
          owner: db,
          tableName: 'all_types',
          columnName: 'customer_id',
          dataType: 'int',
          dataLength: null,
          dataPrecision: 10,
          dataScale: 0,
          columnType: columns[1].columnType,
          nullable: 'Y',
          generated: false,
          type: 'Number',
        },
      ]);
      assert.match(columns[0].columnType, /^int/);
      assert.equal(columns.length, 39);
      assert.equal(columns.at(-1).columnName, 'c_upper');
    });

    it('maps every column type to a LoopBack type', function () {
      const types = Object.fromEntries(columns.map((c: any) => [c.columnName, c.type]));
      assert.deepEqual(types, {
        id: 'Number',
        customer_id: 'Number',
        wh_region: 'String',
        wh_code: 'Number',
        c_tinyint: 'Number',
        c_bool: 'Number',
        c_smallint: 'Number',
        c_mediumint: 'Number',
        c_int: 'Number',
        c_uint: 'Number',
        c_bigint: 'Number',
        c_ubigint: 'Number',
        c_float: 'Number',
        c_double: 'Number',
        c_decimal: 'Number',
        c_bigdecimal: 'Number',
        c_char1: 'Boolean',
        c_char: 'String',
        c_varchar: 'String',
        c_tinytext: 'String',
        c_text: 'String',
        c_mediumtext: 'String',
        c_longtext: 'String',
        c_enum: "enum('small','medium','large')",
        c_set: 'String',
        c_date: 'Date',
        c_datetime: 'Date',
        c_timestamp: 'Date',
        c_time: 'String',
        c_year: 'Number',
        c_bit1: 'Buffer',
        c_bit8: 'Buffer',
        c_binary: 'Buffer',
        c_varbinary: 'Buffer',
        c_blob: 'Buffer',
        c_json: 'Object',
        c_point: 'GeoPoint',
        c_total: 'Number',
        c_upper: 'String',
      });
    });

    it('reports lengths, precisions, nullability and generated columns', function () {
      assert.equal(byName.c_varchar.dataLength, 255);
      assert.equal(byName.c_varchar.nullable, 'N');
      assert.equal(byName.c_char1.dataLength, 1);
      assert.deepEqual([byName.c_bigint.dataPrecision, byName.c_bigint.dataScale], [19, 0]);
      assert.deepEqual([byName.c_ubigint.dataPrecision, byName.c_ubigint.dataScale], [20, 0]);
      assert.deepEqual(
        [byName.c_bigdecimal.dataPrecision, byName.c_bigdecimal.dataScale],
        [30, 10],
      );
      assert.deepEqual([byName.c_decimal.dataPrecision, byName.c_decimal.dataScale], [10, 2]);
      assert.equal(byName.c_json.dataType, 'json');
      assert.equal(byName.c_enum.columnType, "enum('small','medium','large')");
      assert.deepEqual(
        columns.filter((c: any) => c.generated).map((c: any) => c.columnName),
        ['id', 'c_total', 'c_upper'],
      );
      assert.ok(columns.every((c: any) => c.owner === db && c.tableName === 'all_types'));
    });

    it('honours the treat* options of the call', async function () {
      const flags = async (options: Record<string, unknown>, d = ds) =>
        Object.fromEntries(
          (await d.discoverModelProperties('treat_flags', options)).map((c: any) => [
            c.columnName,
            c.type,
          ]),
        );
      assert.deepEqual(await flags({}), {
        id: 'Number',
        tiny1: 'Number',
        char1: 'Boolean',
        bit1: 'Buffer',
      });
      assert.deepEqual(
        await flags({
          treatTINYINT1AsTinyInt: false,
          treatCHAR1AsString: true,
          treatBIT1AsBit: false,
        }),
        {id: 'Number', tiny1: 'Boolean', char1: 'String', bit1: 'Boolean'},
      );
      // Strings, as they come from a CLI or an environment variable.
      assert.deepEqual(
        await flags({
          treatTINYINT1AsTinyInt: 'false',
          treatCHAR1AsString: 'true',
          treatBIT1AsBit: 'false',
        }),
        {id: 'Number', tiny1: 'Boolean', char1: 'String', bit1: 'Boolean'},
      );
    });

    it('honours the treat* data source settings, which the call options override', async function () {
      const configured = newDataSource({
        treatTINYINT1AsTinyInt: false,
        treatCHAR1AsString: true,
        treatBIT1AsBit: false,
      });
      const types = async (options: Record<string, unknown>) =>
        (await configured.discoverModelProperties('treat_flags', options)).map((c: any) => c.type);
      assert.deepEqual(await types({}), ['Number', 'Boolean', 'String', 'Boolean']);
      assert.deepEqual(await types({treatTINYINT1AsTinyInt: true}), [
        'Number',
        'Number',
        'String',
        'Boolean',
      ]);
    });

    it('lists the columns of a view and of another owner', async function () {
      const view = await ds.discoverModelProperties('customer_emails');
      assert.deepEqual(
        view.map((c: any) => [c.columnName, c.type, c.owner]),
        [
          ['id', 'Number', db],
          ['email', 'String', db],
        ],
      );
      const elsewhere = await ds.discoverModelProperties('elsewhere', {owner: other});
      assert.deepEqual(
        elsewhere.map((c: any) => [c.owner, c.columnName]),
        [
          [other, 'id'],
          [other, 'customer_id'],
        ],
      );
      assert.deepEqual(await ds.discoverModelProperties('elsewhere'), []);
    });

    it('finds nothing for a table that does not exist, and rejects a missing name', async function () {
      assert.deepEqual(await ds.discoverModelProperties('no_such_table'), []);
      await assert.rejects(ds.connector.discoverModelProperties('', {}), /table name/);
      await assert.rejects(
        cbToPromise((cb) => ds.connector.discoverModelProperties(undefined, {}, cb)),
        /table name/,
      );
    });
  });

  describe('keys', function () {
    it('discoverPrimaryKeys: a composite key in key order', async function () {
      assert.deepEqual(await ds.discoverPrimaryKeys('warehouse'), [
        {owner: db, tableName: 'warehouse', columnName: 'region', keySeq: 1, pkName: 'PRIMARY'},
        {owner: db, tableName: 'warehouse', columnName: 'code', keySeq: 2, pkName: 'PRIMARY'},
      ]);
      assert.deepEqual(await ds.discoverPrimaryKeys('customer', {owner: db}), [
        {owner: db, tableName: 'customer', columnName: 'id', keySeq: 1, pkName: 'PRIMARY'},
      ]);
      assert.deepEqual(await ds.discoverPrimaryKeys('customer_emails'), []);
    });

    it('discoverForeignKeys: a single and a composite foreign key', async function () {
      const fk = (
        fkName: string,
        fkColumnName: string,
        keySeq: number,
        pkTableName: string,
        pkColumnName: string,
      ) => ({
        fkOwner: db,
        fkName,
        fkTableName: 'all_types',
        fkColumnName,
        keySeq,
        pkOwner: db,
        pkName: 'PRIMARY',
        pkTableName,
        pkColumnName,
      });
      assert.deepEqual(await ds.discoverForeignKeys('all_types'), [
        fk('fk_all_types_customer', 'customer_id', 1, 'customer', 'id'),
        fk('fk_all_types_warehouse', 'wh_region', 1, 'warehouse', 'region'),
        fk('fk_all_types_warehouse', 'wh_code', 2, 'warehouse', 'code'),
      ]);
      assert.deepEqual(await ds.discoverForeignKeys('customer'), []);
    });

    it('discoverExportedForeignKeys: the keys of other tables, other databases included', async function () {
      const exported = await ds.discoverExportedForeignKeys('customer');
      assert.deepEqual(
        exported.map((k: any) => [
          k.fkOwner,
          k.fkTableName,
          k.fkName,
          k.fkColumnName,
          k.keySeq,
          k.pkOwner,
          k.pkTableName,
          k.pkColumnName,
        ]),
        [
          [db, 'all_types', 'fk_all_types_customer', 'customer_id', 1, db, 'customer', 'id'],
          [other, 'elsewhere', 'fk_elsewhere_customer', 'customer_id', 1, db, 'customer', 'id'],
        ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
      );
      const warehouse = await ds.discoverExportedForeignKeys('warehouse');
      assert.deepEqual(
        warehouse.map((k: any) => [k.fkColumnName, k.keySeq, k.pkColumnName, k.pkName]),
        [
          ['wh_region', 1, 'region', 'PRIMARY'],
          ['wh_code', 2, 'code', 'PRIMARY'],
        ],
      );
    });

    it('discoverUniqueKeys: the unique columns other than the primary key', async function () {
      assert.deepEqual(await ds.discoverUniqueKeys('customer'), [
        {columnName: 'email', owner: db, tableName: 'customer', indexName: 'uq_customer_email'},
      ]);
      assert.deepEqual(
        (await ds.discoverUniqueKeys('all_types')).map((k: any) => k.columnName),
        ['c_char'],
      );
      assert.deepEqual(await ds.discoverUniqueKeys('warehouse'), []);
    });

    it('every connector method answers a callback and returns a promise without one', async function () {
      const c = ds.connector;
      for (const method of [
        'discoverModelProperties',
        'discoverPrimaryKeys',
        'discoverForeignKeys',
        'discoverExportedForeignKeys',
        'discoverUniqueKeys',
      ]) {
        assert.equal(c[method].length, 3, `${method} arity`);
        const viaCallback = await cbToPromise((cb) => c[method]('all_types', {}, cb));
        assert.equal(
          c[method]('all_types', {}, () => undefined),
          undefined,
        );
        assert.deepEqual(await c[method]('all_types', {}), viaCallback, method);
      }
      assert.equal(c.discoverModelDefinitions.length, 2);
      assert.equal(c.discoverDatabaseSchemas.length, 2);
    });
  });

  describe('discoverSchemas and discoverAndBuildModels', function () {
    it('discoverSchemas follows the foreign keys with relations: true', async function () {
      const schemas = await ds.discoverSchemas('all_types', {relations: true});
      assert.deepEqual(Object.keys(schemas).sort(), [
        `${db}.all_types`,
        `${db}.customer`,
        `${db}.warehouse`,
      ]);
      const allTypes = schemas[`${db}.all_types`];
      assert.equal(allTypes.name, 'AllTypes');
      assert.deepEqual(allTypes.options.mysql, {schema: db, table: 'all_types'});
      assert.deepEqual(allTypes.options.relations.fkAllTypesCustomerRel, {
        model: 'Customer',
        type: 'belongsTo',
        foreignKey: 'customerId',
      });
      assert.equal(allTypes.options.relations.fkAllTypesWarehouseRel.model, 'Warehouse');
      assert.equal(allTypes.properties.id.id, 1);
      assert.equal(allTypes.properties.id.generated, true);
      assert.equal(allTypes.properties.cVarchar.required, true);
      assert.equal(allTypes.properties.cTotal.generated, true);
      assert.equal(allTypes.properties.cTotal.required, false);
      assert.deepEqual(allTypes.properties.cBigdecimal.mysql, {
        columnName: 'c_bigdecimal',
        dataType: 'decimal',
        dataLength: null,
        dataPrecision: 30,
        dataScale: 10,
        nullable: 'Y',
        generated: false,
      });
      // What lb4 discover turns into a string property with jsonSchema {enum: [...]}.
      assert.equal(allTypes.properties.cEnum.type, "enum('small','medium','large')");
      assert.equal(allTypes.properties.cSet.type, 'String');
      const warehouse = schemas[`${db}.warehouse`];
      assert.equal(warehouse.properties.region.id, 1);
      assert.equal(warehouse.properties.code.id, 2);
      const customer = schemas[`${db}.customer`];
      assert.deepEqual(customer.properties.email.index, {unique: true});
    });

    it('discoverSchemas fails for a table that does not exist', async function () {
      await assert.rejects(ds.discoverSchemas('no_such_table', {}), /does not exist/);
    });

    it('discovered models create, read, update and delete every column type', async function () {
      const models = await cbToPromise<any>((cb) =>
        ds.discoverAndBuildModels('all_types', {relations: true}, cb),
      );
      const {AllTypes, Customer, Warehouse} = models;
      assert.ok(AllTypes && Customer && Warehouse);
      // The ENUM type name resolves to String (registered by discovery), not to a placeholder model.
      assert.equal(AllTypes.definition.properties.cEnum.type, String);

      const customer = await Customer.create({email: 'ada@example.com', displayName: 'Ada'});
      assert.equal(typeof customer.id, 'number');
      await Warehouse.create({region: 'EU', code: 7, label: 'Lyon'});
      assert.equal((await Warehouse.findOne({where: {region: 'EU', code: 7}})).label, 'Lyon');

      const data = {
        customerId: customer.id,
        whRegion: 'EU',
        whCode: 7,
        cTinyint: -5,
        cBool: 1,
        cSmallint: -300,
        cMediumint: 70000,
        cInt: -2000000000,
        cUint: 4000000000,
        cBigint: 9007199254740991,
        cUbigint: 18014398509481984,
        cFloat: 1.5,
        cDouble: 3.141592653589793,
        cDecimal: 12.34,
        cBigdecimal: 12345678901234.5,
        cChar1: true,
        cChar: 'ABC',
        cVarchar: 'hello',
        cTinytext: 'tiny 🎉',
        cText: 'text',
        cMediumtext: 'medium',
        cLongtext: 'long'.repeat(1000),
        cEnum: 'medium',
        cSet: 'red,blue',
        cDate: new Date('2024-02-29T00:00:00.000Z'),
        cDatetime: new Date('2024-03-01T12:34:56.789Z'),
        cTimestamp: new Date('2024-03-02T01:02:03.456Z'),
        cTime: '12:34:56',
        cYear: 2024,
        cBit1: Buffer.from([1]),
        cBit8: Buffer.from([0xa5]),
        cBinary: Buffer.from([1, 2, 3, 4]),
        cVarbinary: Buffer.from('bytes'),
        cBlob: Buffer.from([0, 255, 10, 13, 39, 92]),
        cJson: {a: 1, b: [true, null, 'x'], c: {d: 'ü'}},
        cPoint: {lat: 48.85, lng: 2.35},
      };
      const created = await AllTypes.create(data);
      assert.equal(typeof created.id, 'number');

      const found = await AllTypes.findById(created.id);
      const row = found.toObject();
      // Juggler's belongsTo of the composite foreign key gives whCode the type of Warehouse's first id (String).
      assert.equal(AllTypes.definition.properties.whCode.type, String);
      assert.equal(row.whCode, '7');
      for (const [key, value] of Object.entries(data)) {
        if (key === 'whCode') continue;
        const got = row[key];
        if (value instanceof Date) {
          assert.ok(got instanceof Date, key);
          assert.equal(got.toISOString(), value.toISOString(), key);
        } else if (Buffer.isBuffer(value)) {
          assert.ok(Buffer.isBuffer(got), key);
          assert.equal(got.toString('hex'), value.toString('hex'), key);
        } else {
          assert.deepEqual(got, value, key);
        }
      }
      assert.equal(row.cTotal, 24.68);
      assert.equal(row.cUpper, 'HELLO');

      await found.updateAttributes({
        cVarchar: 'world',
        cDecimal: 1.5,
        cChar1: false,
        cBool: 0,
        cBit1: Buffer.from([0]),
        cJson: [1, 2, 3],
        cPoint: {lat: -33.86, lng: 151.21},
        cDatetime: new Date('2025-01-01T00:00:00.001Z'),
        cEnum: 'large',
        cBlob: null,
      });
      const updated = (await AllTypes.findById(created.id)).toObject();
      assert.equal(updated.cVarchar, 'world');
      assert.equal(updated.cUpper, 'WORLD');
      assert.equal(updated.cTotal, 3);
      assert.equal(updated.cChar1, false);
      assert.equal(updated.cBool, 0);
      assert.equal(updated.cBit1.toString('hex'), '00');
      assert.deepEqual(updated.cJson, [1, 2, 3]);
      assert.deepEqual(updated.cPoint, {lat: -33.86, lng: 151.21});
      assert.equal(updated.cDatetime.toISOString(), '2025-01-01T00:00:00.001Z');
      assert.equal(updated.cEnum, 'large');
      assert.equal(updated.cBlob, null);
      assert.equal(updated.cBigdecimal, 12345678901234.5);

      const info = await AllTypes.updateAll({cEnum: 'large'}, {cSet: 'green'});
      assert.equal(info.count, 1);
      assert.equal((await AllTypes.findOne({where: {cSet: 'green'}})).id, created.id);
      assert.equal(await AllTypes.count({cChar1: false}), 1);

      await found.destroy();
      assert.equal(await AllTypes.findById(created.id), null);
      await Customer.destroyById(customer.id);
      assert.equal(await Customer.count(), 0);
    });
  });
});
