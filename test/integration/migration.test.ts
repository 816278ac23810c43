/* eslint-disable @typescript-eslint/no-explicit-any -- juggler is untyped here: data sources and rows are dynamic */
/*
 * automigrate / autoupdate / isActual against the real server, checked through information_schema.
 */
import assert from 'node:assert/strict';
import * as connector from '../../src';
import {createDatabase, dataSourceSettings, dropDatabase} from '../helpers/mysql-config';
import {assertPrinted, capturing} from '../helpers/output';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const {DataSource} = require('loopback-datasource-juggler');

describe('migration (integration)', function () {
  let db: string;
  const dataSources: any[] = [];

  before(async function () {
    db = await createDatabase('migration');
  });

  after(async function () {
    for (const ds of dataSources) await ds.disconnect();
    if (db) await dropDatabase(db);
  });

  function dataSource(): any {
    const ds = new DataSource(connector, dataSourceSettings(db));
    dataSources.push(ds);
    return ds;
  }

  function sql(ds: any, text: string, params: unknown[] = []): Promise<any[]> {
    return ds.connector.execute(text, params, {});
  }

  async function columns(ds: any, table: string): Promise<Record<string, any>> {
    const rows = await sql(
      ds,
      'SELECT COLUMN_NAME AS name, COLUMN_TYPE AS type, IS_NULLABLE AS nullable, COLUMN_DEFAULT AS def, ' +
        'EXTRA AS extra FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ' +
        'ORDER BY ORDINAL_POSITION',
      [table],
    );
    return Object.fromEntries(rows.map((r) => [r.name, r]));
  }

  async function indexes(ds: any, table: string): Promise<Record<string, string>> {
    const rows = await sql(
      ds,
      'SELECT INDEX_NAME AS name, NON_UNIQUE AS nonUnique, INDEX_TYPE AS type, ' +
        "GROUP_CONCAT(CONCAT(COLUMN_NAME, IF(COLLATION = 'D', ' DESC', '')) ORDER BY SEQ_IN_INDEX) AS cols " +
        'FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ' +
        'GROUP BY INDEX_NAME, NON_UNIQUE, INDEX_TYPE',
      [table],
    );
    return Object.fromEntries(
      rows.map((r) => [r.name, `${Number(r.nonUnique) === 0 ? 'UNIQUE ' : ''}${r.type} ${r.cols}`]),
    );
  }

  async function foreignKeys(ds: any, table: string): Promise<Record<string, string>> {
    const rows = await sql(
      ds,
      'SELECT k.CONSTRAINT_NAME AS name, GROUP_CONCAT(k.COLUMN_NAME ORDER BY k.ORDINAL_POSITION) AS cols, ' +
        'k.REFERENCED_TABLE_NAME AS refTable, ' +
        'GROUP_CONCAT(k.REFERENCED_COLUMN_NAME ORDER BY k.ORDINAL_POSITION) AS refCols, ' +
        'r.DELETE_RULE AS onDelete, r.UPDATE_RULE AS onUpdate FROM information_schema.KEY_COLUMN_USAGE k ' +
        'JOIN information_schema.REFERENTIAL_CONSTRAINTS r ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA ' +
        'AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.TABLE_NAME = k.TABLE_NAME ' +
        'WHERE k.TABLE_SCHEMA = DATABASE() AND k.TABLE_NAME = ? AND k.REFERENCED_TABLE_NAME IS NOT NULL ' +
        'GROUP BY k.CONSTRAINT_NAME, k.REFERENCED_TABLE_NAME, r.DELETE_RULE, r.UPDATE_RULE',
      [table],
    );
    return Object.fromEntries(
      rows.map((r) => [
        r.name,
        `(${r.cols}) -> ${r.refTable}(${r.refCols}) ${r.onDelete}/${r.onUpdate}`,
      ]),
    );
  }

  /** Counts the DDL statements that go through the connector. */
  function countDdl(ds: any): {readonly statements: string[]} {
    const seen = {statements: [] as string[]};
    ds.connector.observe('before execute', (ctx: any, next: () => void) => {
      if (/^\s*(ALTER|CREATE|DROP)\b/i.test(ctx.req.sql)) seen.statements.push(ctx.req.sql);
      next();
    });
    return seen;
  }

  describe('automigrate', function () {
    let ds: any;

    before(async function () {
      ds = dataSource();
      ds.define(
        'Gadget',
        {
          id: {type: Number, id: true, generated: true},
          name: {type: String, required: true, index: {unique: true}},
          code: {type: String, length: 20, index: true},
          qty: {type: Number, mysql: {unsigned: true, default: 3}},
          big: {type: Number, unsigned: true, mysql: {dataType: 'bigint'}},
          price: {type: Number, precision: 10, scale: 2, mysql: {defaultValue: 1.5}},
          flag: {type: Boolean, mysql: {default: true}},
          label: {type: String, length: 30, default: 'juggler only', mysql: {default: "it's"}},
          created: {type: Date, mysql: {default: 'now'}},
          stamp: {
            type: Date,
            mysql: {dataType: 'timestamp', precision: 0, default: 'CURRENT_TIMESTAMP'},
          },
          doc: {type: Object, mysql: {dataType: 'json'}},
          body: {type: String, mysql: {dataType: 'text'}},
          order: {type: Number, mysql: {columnName: 'the order'}},
          loc: {type: 'GeoPoint', required: true},
        },
        {
          mysql: {table: 'gadgets', engine: 'InnoDB', charset: 'latin1', collation: 'latin1_bin'},
          indexes: {
            by_order: {keys: {order: -1, qty: 1}},
            uniq_pair: {columns: 'order, code', kind: 'unique'},
            ft_body: {keys: {body: 1}, kind: 'FULLTEXT'},
            sp_loc: {keys: {loc: 1}, kind: 'SPATIAL'},
            opt: {keys: {price: 1}, options: {unique: true}},
          },
        },
      );
      ds.define('Pair', {
        a: {type: String, id: 1, length: 10},
        b: {type: Number, id: 2},
      });
      await ds.automigrate(['Gadget', 'Pair']);
    });

    it('creates columns with types, nullability, unsigned, auto-increment and defaults', async function () {
      const c = await columns(ds, 'gadgets');
      const type = (n: string) => String(c[n].type).replace(/^(int|bigint)\(\d+\)/, '$1');
      assert.equal(type('id'), 'int');
      assert.match(c.id.extra, /auto_increment/);
      assert.equal(c.name.type, 'varchar(255)');
      assert.equal(c.name.nullable, 'NO');
      assert.equal(c.code.type, 'varchar(20)');
      assert.equal(type('qty'), 'int unsigned');
      assert.equal(type('big'), 'bigint unsigned');
      assert.equal(c.price.type, 'decimal(10,2)');
      assert.equal(c.flag.type, 'tinyint(1)');
      assert.equal(c.created.type, 'datetime(3)');
      assert.equal(c.stamp.type, 'timestamp');
      assert.ok(['json', 'longtext'].includes(c.doc.type));
      assert.ok(c['the order']);
      assert.equal(c.loc.nullable, 'NO');
      const plain = (v: string | null) => (v === null ? null : v.replace(/^'(.*)'$/, '$1'));
      assert.equal(plain(c.qty.def), '3');
      assert.equal(plain(c.price.def), '1.50');
      assert.equal(plain(c.flag.def), '1');
      assert.ok(["'it''s'", "it's"].includes(c.label.def), c.label.def);
      assert.match(String(c.created.def), /^current_timestamp\(3\)$/i);
      assert.match(String(c.stamp.def), /^current_timestamp(\(\))?$/i);
      assert.ok(c.name.def === null || c.name.def === 'NULL');
    });

    it('creates every index form, with mapped and escaped names', async function () {
      assert.deepEqual(await indexes(ds, 'gadgets'), {
        PRIMARY: 'UNIQUE BTREE id',
        name: 'UNIQUE BTREE name',
        code: 'BTREE code',
        by_order: 'BTREE the order DESC,qty',
        uniq_pair: 'UNIQUE BTREE the order,code',
        ft_body: 'FULLTEXT body',
        sp_loc: 'SPATIAL loc',
        opt: 'UNIQUE BTREE price',
      });
    });

    it('creates a composite primary key', async function () {
      assert.deepEqual(await indexes(ds, 'Pair'), {PRIMARY: 'UNIQUE BTREE a,b'});
    });

    it('uses the engine and charset of the model', async function () {
      const [row] = await sql(
        ds,
        'SELECT ENGINE AS engine, TABLE_COLLATION AS collation FROM information_schema.TABLES ' +
          "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'gadgets'",
      );
      assert.deepEqual({...row}, {engine: 'InnoDB', collation: 'latin1_bin'});
    });

    it('is actual right after automigrate, and autoupdate then runs nothing', async function () {
      assert.equal(await ds.connector.isActual(['Gadget', 'Pair']), true);
      assert.deepEqual(await ds.connector.getAutoupdateSQL(['Gadget', 'Pair']), []);
      const ddl = countDdl(ds);
      await ds.autoupdate(['Gadget', 'Pair']);
      assert.deepEqual(ddl.statements, []);
    });

    it('applies `mysql.default` in the database, and juggler `default` on the client', async function () {
      await sql(ds, "INSERT INTO gadgets (name, loc) VALUES ('raw', POINT(1, 2))");
      const [row] = await sql(ds, "SELECT qty, label, flag FROM gadgets WHERE name = 'raw'");
      assert.deepEqual({...row}, {qty: 3, label: "it's", flag: 1});
      const Gadget = ds.getModel('Gadget');
      const g = await Gadget.create({name: 'client', price: 2, loc: {lat: 1, lng: 2}});
      assert.equal(g.label, 'juggler only');
    });
  });

  describe('foreign keys', function () {
    let ds: any;

    before(async function () {
      ds = dataSource();
      // Husband references Wife and Wife references Husband: a cycle, defined before its target.
      ds.define(
        'Husband',
        {id: {type: Number, id: true, generated: true}, wifeId: Number},
        {
          foreignKeys: {
            fk_husband_wife: {
              name: 'fk_husband_wife',
              entity: 'Wife',
              entityKey: 'key',
              foreignKey: 'wifeId',
              onDelete: 'SET NULL',
              onUpdate: 'cascade',
            },
          },
        },
      );
      ds.define(
        'Wife',
        {
          key: {type: Number, id: true, generated: true, mysql: {columnName: 'wife_key'}},
          husbandId: {type: Number, mysql: {columnName: 'husband_id'}},
        },
        {
          mysql: {table: 'wives'},
          foreignKeys: {
            fk_wife_husband: {entity: 'Husband', entityKey: 'id', foreignKey: 'husbandId'},
          },
        },
      );
      await ds.automigrate(['Husband', 'Wife']);
    });

    it('automigrate creates foreign keys in a cycle, with mapped tables and columns', async function () {
      assert.deepEqual(await foreignKeys(ds, 'Husband'), {
        fk_husband_wife: '(wifeId) -> wives(wife_key) SET NULL/CASCADE',
      });
      const wives = await foreignKeys(ds, 'wives');
      assert.match(
        wives.fk_wife_husband!,
        /^\(husband_id\) -> Husband\(id\) (RESTRICT|NO ACTION)\//,
      );
    });

    it('the foreign keys are enforced', async function () {
      await assert.rejects(sql(ds, 'INSERT INTO Husband (wifeId) VALUES (999)'), {errno: 1452});
    });

    it('automigrate again drops and re-creates the referenced tables', async function () {
      await ds.automigrate(['Husband', 'Wife']);
      assert.equal(await ds.connector.isActual(['Husband', 'Wife']), true);
    });

    it('autoupdate replaces a changed foreign key and is then actual', async function () {
      const def = ds.connector.getModelDefinition('Wife');
      def.settings.foreignKeys.fk_wife_husband.onDelete = 'CASCADE';
      ds.connector.define(def);
      assert.equal(await ds.connector.isActual(['Husband', 'Wife']), false);
      assert.deepEqual(await ds.connector.getAutoupdateSQL(['Husband', 'Wife']), [
        'ALTER TABLE `wives` DROP FOREIGN KEY `fk_wife_husband`',
        'ALTER TABLE `wives` ADD CONSTRAINT `fk_wife_husband` FOREIGN KEY (`husband_id`) REFERENCES ' +
          '`Husband` (`id`) ON DELETE CASCADE',
      ]);
      await ds.autoupdate(['Husband', 'Wife']);
      const wives = await foreignKeys(ds, 'wives');
      assert.match(wives.fk_wife_husband!, / CASCADE\//);
      assert.equal(await ds.connector.isActual(['Husband', 'Wife']), true);
    });

    it('autoupdate creates missing tables and their foreign keys to each other', async function () {
      await sql(ds, 'SET FOREIGN_KEY_CHECKS=0');
      await ds.connector.execute('DROP TABLE wives, Husband');
      await ds.autoupdate(['Husband', 'Wife']);
      assert.deepEqual(Object.keys(await foreignKeys(ds, 'Husband')), ['fk_husband_wife']);
      assert.deepEqual(Object.keys(await foreignKeys(ds, 'wives')), ['fk_wife_husband']);
      assert.equal(await ds.connector.isActual(['Husband', 'Wife']), true);
    });
  });

  describe('autoupdate', function () {
    let ds: any;
    before(async function () {
      ds = dataSource();
      ds.define('Note', {
        id: {type: Number, id: true, generated: true},
        title: {type: String, length: 50},
        stale: String,
        n: Number,
        price: {type: Number, precision: 8, scale: 2},
        when: Date,
      });
      await ds.automigrate('Note');
      await ds.getModel('Note').create({title: 'keep me', stale: 'old', n: 1});
    });

    function redefine(properties: Record<string, unknown>, settings: Record<string, unknown> = {}) {
      ds.define('Note', properties, settings);
    }

    it('adds, changes and keeps columns; the second run is a no-op', async function () {
      redefine(
        {
          id: {type: Number, id: true, generated: true},
          title: {type: String, length: 100, required: true},
          n: {type: Number, mysql: {dataType: 'bigint', default: 7}},
          price: {type: Number, precision: 12, scale: 3},
          when: {type: Date, mysql: {precision: 6}},
          added: {type: Boolean, mysql: {default: false}},
        },
        {indexes: {by_title: {keys: {title: 1}}}},
      );
      const ddl = countDdl(ds);
      // The column the model no longer has is kept, with one warning (from the dry run, the first to see it).
      const warned = await capturing(() => ds.connector.autoupdate(['Note'], {dryRun: true}));
      const dry = warned.result;
      assertPrinted(warned.lines, [
        /^\[LB_MYSQL_COLUMN_KEPT\] Column Note\.stale is not in model Note and was kept; set mysql\.allowDropColumns/,
      ]);
      assert.equal(warned.lines.length, 1);
      assert.deepEqual(dry, [
        'ALTER TABLE `Note` MODIFY COLUMN `title` VARCHAR(100) NOT NULL, ' +
          'MODIFY COLUMN `n` BIGINT NULL DEFAULT 7, MODIFY COLUMN `price` DECIMAL(12,3) NULL, ' +
          'MODIFY COLUMN `when` DATETIME(6) NULL, ADD COLUMN `added` TINYINT(1) NULL DEFAULT false, ' +
          'ADD INDEX `by_title` (`title`)',
      ]);
      assert.deepEqual(ddl.statements, [], 'the dry run changed nothing');
      assert.equal(await ds.connector.isActual(['Note']), false);

      const first = await capturing(() => ds.autoupdate(['Note']));
      assert.deepEqual(first.lines, [], 'warned once per column');
      assert.deepEqual(ddl.statements, dry);
      const c = await columns(ds, 'Note');
      assert.equal(c.title.type, 'varchar(100)');
      assert.equal(c.title.nullable, 'NO');
      assert.match(c.n.type, /^bigint/);
      assert.equal(c.price.type, 'decimal(12,3)');
      assert.equal(c.when.type, 'datetime(6)');
      assert.equal(c.added.type, 'tinyint(1)');
      assert.ok(c.stale, 'the column the model dropped is kept');
      assert.equal((await indexes(ds, 'Note')).by_title, 'BTREE title');
      const [row] = await sql(ds, 'SELECT title, stale FROM Note');
      assert.deepEqual({...row}, {title: 'keep me', stale: 'old'});

      const second = await capturing(() => ds.autoupdate(['Note']));
      assert.deepEqual(ddl.statements, dry, 'the second autoupdate ran no DDL');
      assert.equal(await ds.connector.isActual(['Note']), true);
      assert.deepEqual(second.lines, [], 'warned once per column');
    });

    it('isActual and autoupdate with callbacks, as juggler calls them', async function () {
      const actual = await new Promise<boolean>((resolve, reject) =>
        ds.connector.isActual(['Note'], (err: Error | null, result: boolean) =>
          err ? reject(err) : resolve(result),
        ),
      );
      assert.equal(actual, true);
      await new Promise<void>((resolve, reject) =>
        ds.connector.autoupdate(['Note'], (err: Error | null) => (err ? reject(err) : resolve())),
      );
      const viaDs = await new Promise<boolean>((resolve, reject) =>
        ds.isActual((err: Error | null, result: boolean) => (err ? reject(err) : resolve(result))),
      );
      assert.equal(viaDs, true);
    });

    it('drops a column only when allowed', async function () {
      assert.deepEqual(await ds.connector.getAutoupdateSQL(['Note'], {allowDropColumns: true}), [
        'ALTER TABLE `Note` DROP COLUMN `stale`',
      ]);
      assert.ok((await columns(ds, 'Note')).stale, 'the dry run dropped nothing');
      const def = ds.connector.getModelDefinition('Note');
      redefine(def.properties, {...def.settings, mysql: {allowDropColumns: true}});
      await ds.autoupdate(['Note']);
      assert.equal((await columns(ds, 'Note')).stale, undefined);
      assert.equal(await ds.connector.isActual(['Note']), true);
    });

    it('keeps indexes the model does not declare, and PRIMARY', async function () {
      await sql(ds, 'CREATE INDEX manual_idx ON Note (n)');
      assert.equal(await ds.connector.isActual(['Note']), true);
      const def = ds.connector.getModelDefinition('Note');
      redefine(def.properties, {...def.settings, indexes: {}});
      assert.deepEqual(await ds.connector.getAutoupdateSQL(['Note']), []);
      assert.deepEqual(await ds.connector.getAutoupdateSQL(['Note'], {allowDropIndexes: true}), [
        'ALTER TABLE `Note` DROP INDEX `by_title`, DROP INDEX `manual_idx`',
      ]);
    });
  });
});
