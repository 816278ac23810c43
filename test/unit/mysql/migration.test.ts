import assert from 'node:assert/strict';
import {MySQL} from '../../../src';
import {
  buildAutomigrate,
  buildAutoupdate,
  buildColumnDefinition,
  buildCreateTable,
  buildReadTable,
  diffTable,
  liveTable,
  migrationArgs,
  migrationDialect,
  modelForeignKeys,
  normalizeCharset,
  normalizeColumnType,
  normalizeLiveDefault,
  type MigrationContext,
  type MigrationDialect,
  type TableSnapshot,
} from '../../../src/mysql/migration';
import {escapeName} from '../../../src/mysql/type-mapping';
import type {
  JugglerType,
  ModelMapping,
  ModelSettings,
  PropertyDefinition,
} from '../../../src/sql-connector';
import {defineModel} from '../../helpers/fake-sql-connector';

const GeoPoint = class GeoPoint {} as unknown as JugglerType;

const MARIADB = migrationDialect({flavor: 'mariadb', version: '10.11.19', nativeJson: false});
const MYSQL8 = migrationDialect({flavor: 'mysql', version: '8.4.3', nativeJson: true});

/** A connector with the given models; `ctx` resolves foreign key entities among them. */
function setup(
  models: Record<string, [Record<string, PropertyDefinition>, ModelSettings?]>,
  dialect: MigrationDialect = MARIADB,
): {mapping: (name: string) => ModelMapping; ctx: MigrationContext} {
  const connector = new MySQL({});
  for (const [name, [properties, settings]] of Object.entries(models))
    defineModel(connector, name, properties, settings);
  return {
    mapping: (name) => connector.getModelMapping(name),
    ctx: {
      escapeName,
      tableOptions: {charset: 'utf8mb4', collation: undefined},
      resolveEntity: (e) =>
        connector.getModelDefinition(e) ? connector.getModelMapping(e) : undefined,
      dialect,
    },
  };
}

function single(properties: Record<string, PropertyDefinition>, settings?: ModelSettings) {
  const {mapping, ctx} = setup({M: [properties, settings]});
  return {mapping: mapping('M'), ctx};
}

const ID = {type: Number, id: true, generated: true};

describe('migration builders', () => {
  describe('buildColumnDefinition', () => {
    const cases: [string, PropertyDefinition, string][] = [
      ['string', {type: String}, '`p` VARCHAR(512) NULL'],
      ['required string', {type: String, required: true}, '`p` VARCHAR(512) NOT NULL'],
      ['nullable N', {type: String, mysql: {nullable: 'N'}}, '`p` VARCHAR(512) NOT NULL'],
      ['length', {type: String, length: 20}, '`p` VARCHAR(20) NULL'],
      ['number', {type: Number}, '`p` INT NULL'],
      ['unsigned (mysql)', {type: Number, mysql: {unsigned: true}}, '`p` INT UNSIGNED NULL'],
      ['unsigned (top level)', {type: Number, unsigned: true}, '`p` INT UNSIGNED NULL'],
      ['decimal', {type: Number, precision: 10, scale: 2}, '`p` DECIMAL(10,2) NULL'],
      [
        'bigint',
        {type: Number, mysql: {dataType: 'bigint', unsigned: true}},
        '`p` BIGINT UNSIGNED NULL',
      ],
      ['boolean', {type: Boolean}, '`p` TINYINT(1) NULL'],
      ['date', {type: Date}, '`p` DATETIME(3) NULL'],
      ['json', {type: Object, mysql: {dataType: 'json'}}, '`p` JSON NULL'],
      ['object', {type: Object}, '`p` TEXT NULL'],
      ['point', {type: GeoPoint, required: true}, '`p` POINT NOT NULL'],
      ['juggler default is not DDL', {type: String, default: 'x'}, '`p` VARCHAR(512) NULL'],
      [
        'mysql.default string',
        {type: String, mysql: {default: "it's"}},
        "`p` VARCHAR(512) NULL DEFAULT 'it\\'s'",
      ],
      [
        'mysql.defaultValue number',
        {type: Number, mysql: {defaultValue: 7}},
        '`p` INT NULL DEFAULT 7',
      ],
      [
        'boolean default',
        {type: Boolean, mysql: {default: true}},
        '`p` TINYINT(1) NULL DEFAULT true',
      ],
      [
        'now',
        {type: Date, mysql: {default: 'now'}},
        '`p` DATETIME(3) NULL DEFAULT CURRENT_TIMESTAMP(3)',
      ],
      [
        'CURRENT_TIMESTAMP on DATETIME(0)',
        {type: Date, mysql: {dataType: 'datetime', precision: 0, default: 'CURRENT_TIMESTAMP'}},
        '`p` DATETIME(0) NULL DEFAULT CURRENT_TIMESTAMP',
      ],
      [
        'charset and collation',
        {type: String, mysql: {charset: 'latin1', collation: 'latin1_bin'}},
        '`p` VARCHAR(512) CHARACTER SET latin1 COLLATE latin1_bin NULL',
      ],
      ['column name', {type: String, mysql: {columnName: 'order'}}, '`order` VARCHAR(512) NULL'],
    ];
    for (const [title, def, sql] of cases) {
      it(title, () => {
        const {mapping} = single({id: {type: Number, id: true}, p: def});
        const column = mapping.columns[1];
        assert.ok(column);
        assert.equal(buildColumnDefinition(mapping, column), sql);
      });
    }

    it('auto-increment id, without a default', () => {
      const {mapping} = single({id: {...ID, mysql: {default: 1}}});
      assert.equal(
        buildColumnDefinition(mapping, mapping.columns[0]!),
        '`id` INT NOT NULL AUTO_INCREMENT',
      );
    });

    it('rejects an object default and a bad collation', () => {
      const a = single({id: ID, p: {type: String, mysql: {default: {a: 1}}}}).mapping;
      assert.throws(() => buildColumnDefinition(a, a.columns[1]!), /Invalid default/);
      const b = single({id: ID, p: {type: String, mysql: {collation: 'x; DROP'}}}).mapping;
      assert.throws(() => buildColumnDefinition(b, b.columns[1]!), /Invalid collation/);
    });
  });

  describe('buildCreateTable', () => {
    it('columns, primary key, property and model indexes, engine and charset', () => {
      const {mapping, ctx} = single(
        {
          id: ID,
          email: {type: String, index: {unique: true}},
          name: {type: String, index: true},
          tag: {type: String, length: 20, index: {type: 'hash'}},
          body: {type: String, mysql: {dataType: 'text'}, index: {kind: 'FULLTEXT'}},
          order: {type: Number, mysql: {columnName: 'the order'}},
          loc: {type: GeoPoint, required: true},
        },
        {
          mysql: {table: 'things', engine: 'MyISAM', charset: 'latin1', collation: 'latin1_bin'},
          indexes: {
            by_order: {keys: {order: -1, name: 1}},
            'uniq`pair': {columns: 'order, email DESC', kind: 'unique'},
            opt_unique: {keys: {tag: 1}, options: {unique: true}},
            short: {name: 1, kind: 'unique'},
            sp: {keys: {loc: 1}, kind: 'SPATIAL'},
            ft2: {columns: 'body', kind: 'fulltext', type: 'btree'},
          },
        },
      );
      assert.equal(
        buildCreateTable(mapping, ctx.tableOptions, escapeName),
        'CREATE TABLE `things` (\n' +
          '  `id` INT NOT NULL AUTO_INCREMENT,\n' +
          '  `email` VARCHAR(255) NULL,\n' +
          '  `name` VARCHAR(255) NULL,\n' +
          '  `tag` VARCHAR(20) NULL,\n' +
          '  `body` TEXT NULL,\n' +
          '  `the order` INT NULL,\n' +
          '  `loc` POINT NOT NULL,\n' +
          '  PRIMARY KEY (`id`),\n' +
          '  UNIQUE INDEX `email` (`email`),\n' +
          '  INDEX `name` (`name`),\n' +
          '  INDEX `tag` (`tag`) USING HASH,\n' +
          '  FULLTEXT INDEX `body` (`body`),\n' +
          '  INDEX `by_order` (`the order` DESC,`name`),\n' +
          '  UNIQUE INDEX `uniq``pair` (`the order`,`email` DESC),\n' +
          '  UNIQUE INDEX `opt_unique` (`tag`),\n' +
          '  UNIQUE INDEX `short` (`name`),\n' +
          '  SPATIAL INDEX `sp` (`loc`),\n' +
          '  FULLTEXT INDEX `ft2` (`body`)\n' +
          ') ENGINE=MyISAM DEFAULT CHARSET=latin1 COLLATE=latin1_bin',
      );
    });

    it('composite primary key, schema and data source charset', () => {
      const {mapping} = single(
        {a: {type: String, id: 2}, b: {type: Number, id: 1}, c: {type: Object}},
        {mysql: {schema: 'other', table: 'pairs'}},
      );
      assert.equal(
        buildCreateTable(mapping, {charset: 'utf8mb4', collation: 'utf8mb4_bin'}, escapeName),
        'CREATE TABLE `other`.`pairs` (\n' +
          '  `a` VARCHAR(255) NOT NULL,\n' +
          '  `b` INT NOT NULL,\n' +
          '  `c` TEXT NULL,\n' +
          '  PRIMARY KEY (`b`,`a`)\n' +
          ') ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin',
      );
    });

    it('rejects an index on an unknown property', () => {
      const {mapping, ctx} = single({id: ID}, {indexes: {bad: {keys: {nope: 1}}}});
      assert.throws(
        () => buildCreateTable(mapping, ctx.tableOptions, escapeName),
        /unknown property "nope"/,
      );
    });
  });

  describe('foreign keys and automigrate', () => {
    const models = {
      Customer: [
        {cid: {type: Number, id: true, generated: true}, partnerId: {type: Number}},
        {
          mysql: {table: 'customers'},
          foreignKeys: {
            fk_partner: {
              entity: 'Customer',
              entityKey: 'cid',
              foreignKey: 'partnerId',
              onDelete: 'set null',
            },
          },
        },
      ],
      Order: [
        {
          id: ID,
          customerId: {type: Number, mysql: {columnName: 'customer_id'}},
          legacyId: {type: Number},
        },
        {
          foreignKeys: {
            k1: {
              name: 'fk_order_customer',
              entity: 'Customer',
              entityKey: 'cid',
              foreignKey: 'customerId',
              onDelete: 'CASCADE',
              onUpdate: 'no action',
            },
            k2: {entity: 'legacy_table', entityKey: 'legacy_pk', foreignKey: 'legacyId'},
          },
        },
      ],
    } satisfies Record<string, [Record<string, PropertyDefinition>, ModelSettings]>;

    it('creates every table, then adds the foreign keys with mapped names', () => {
      const {mapping, ctx} = setup(models);
      const plan = buildAutomigrate([mapping('Order'), mapping('Customer')], ctx);
      assert.deepEqual(plan.drops, [
        'DROP TABLE IF EXISTS `Order`',
        'DROP TABLE IF EXISTS `customers`',
      ]);
      assert.equal(plan.creates.length, 2);
      assert.match(plan.creates[0]!, /^CREATE TABLE `Order` /);
      assert.doesNotMatch(plan.creates.join('\n'), /FOREIGN KEY/);
      assert.deepEqual(plan.foreignKeys, [
        'ALTER TABLE `Order` ADD CONSTRAINT `fk_order_customer` FOREIGN KEY (`customer_id`) REFERENCES ' +
          '`customers` (`cid`) ON DELETE CASCADE ON UPDATE NO ACTION, ADD CONSTRAINT `k2` FOREIGN KEY ' +
          '(`legacyId`) REFERENCES `legacy_table` (`legacy_pk`)',
        'ALTER TABLE `customers` ADD CONSTRAINT `fk_partner` FOREIGN KEY (`partnerId`) REFERENCES ' +
          '`customers` (`cid`) ON DELETE SET NULL',
      ]);
    });

    it('defaults entityKey to the id of the referenced model', () => {
      const {mapping, ctx} = setup({
        A: [{id: ID}],
        B: [{id: ID, aId: {type: Number}}, {foreignKeys: {fk: {entity: 'A', foreignKey: 'aId'}}}],
      });
      assert.deepEqual(modelForeignKeys(mapping('B'), ctx.resolveEntity), [
        {
          name: 'fk',
          columns: ['aId'],
          refTable: 'A',
          refSchema: undefined,
          refTableEscaped: '`A`',
          refColumns: ['id'],
          onDelete: undefined,
          onUpdate: undefined,
        },
      ]);
    });

    it('rejects actions outside the whitelist, unknown properties and missing keys', () => {
      const bad = (fk: Record<string, unknown>) => {
        const {mapping, ctx} = setup({A: [{id: ID, aId: {type: Number}}, {foreignKeys: {fk}}]});
        return () => modelForeignKeys(mapping('A'), ctx.resolveEntity);
      };
      assert.throws(
        bad({entity: 'A', foreignKey: 'aId', onDelete: 'CASCADE; DROP TABLE x'}),
        /invalid onDelete/,
      );
      assert.throws(bad({entity: 'A', foreignKey: 'aId', onUpdate: 'EXPLODE'}), /invalid onUpdate/);
      assert.throws(bad({entity: 'A', foreignKey: 'nope'}), /unknown property "nope"/);
      assert.throws(
        bad({entity: 'A', foreignKey: 'aId', entityKey: 'nope'}),
        /unknown property "nope" of A/,
      );
      assert.throws(bad({foreignKey: 'aId'}), /has no entity/);
      assert.throws(bad({entity: 'A'}), /has no foreignKey/);
    });
  });
});

describe('schema normalization', () => {
  it('column types of MariaDB and MySQL 8 reports and of the model', () => {
    const cases: [string, string][] = [
      ['int(11)', 'int'],
      ['INT', 'int'],
      ['int(10) unsigned', 'int unsigned'],
      ['INT UNSIGNED', 'int unsigned'],
      ['bigint(20)', 'bigint'],
      ['tinyint(1)', 'tinyint(1)'],
      ['TINYINT(1)', 'tinyint(1)'],
      ['tinyint(4)', 'tinyint'],
      ['boolean', 'tinyint(1)'],
      ['integer', 'int'],
      ['VARCHAR(255)', 'varchar(255)'],
      ['varchar( 255 )', 'varchar(255)'],
      ['DECIMAL(10, 2)', 'decimal(10,2)'],
      ['decimal', 'decimal(10,0)'],
      ['numeric(5)', 'decimal(5,0)'],
      ['DATETIME(3)', 'datetime(3)'],
      ['datetime(0)', 'datetime'],
      ['datetime', 'datetime'],
      ['char', 'char(1)'],
      ["enum('A','b')", "enum('A','b')"],
      ["ENUM('A','b')", "enum('A','b')"],
      ['JSON', 'json'],
      ['longtext', 'longtext'],
    ];
    for (const [input, expected] of cases)
      assert.equal(normalizeColumnType(input), expected, input);
    assert.notEqual(normalizeColumnType('tinyint(1)'), normalizeColumnType('tinyint'));
  });

  it('charset and collation names', () => {
    assert.equal(normalizeCharset('UTF8'), 'utf8mb3');
    assert.equal(normalizeCharset('utf8_general_ci'), 'utf8mb3_general_ci');
    assert.equal(normalizeCharset('utf8mb4_bin'), 'utf8mb4_bin');
    assert.equal(normalizeCharset(undefined), undefined);
  });

  it('MariaDB defaults: SQL text, quoted strings, NULL as text', () => {
    const d = (raw: unknown, type = 'varchar(10)') => normalizeLiveDefault(raw, '', type, MARIADB);
    assert.equal(d(null), null);
    assert.equal(d('NULL'), null);
    assert.equal(d("'NULL'"), 'lit:NULL');
    assert.equal(d("'x'"), 'lit:x');
    assert.equal(d("'it''s \\\\ x'"), "lit:it's \\ x");
    assert.equal(d("''"), 'lit:');
    assert.equal(d('1.50', 'decimal(10,2)'), 'lit:1.50');
    assert.equal(d('current_timestamp()', 'datetime'), 'expr:current_timestamp');
    assert.equal(d('current_timestamp(3)', 'datetime(3)'), 'expr:current_timestamp(3)');
  });

  it('MySQL 8 defaults: the raw value, SQL NULL, CURRENT_TIMESTAMP with DEFAULT_GENERATED', () => {
    const d = (raw: unknown, extra = '', type = 'varchar(10)') =>
      normalizeLiveDefault(raw, extra, type, MYSQL8);
    assert.equal(d(null), null);
    assert.equal(d('x'), 'lit:x');
    assert.equal(d("it's"), "lit:it's");
    assert.equal(d('NULL'), 'lit:NULL');
    assert.equal(d('CURRENT_TIMESTAMP', 'DEFAULT_GENERATED', 'datetime'), 'expr:current_timestamp');
    assert.equal(
      d('CURRENT_TIMESTAMP(3)', 'DEFAULT_GENERATED on update CURRENT_TIMESTAMP(3)', 'datetime(3)'),
      'expr:current_timestamp(3)',
    );
    assert.equal(d('CURRENT_TIMESTAMP', '', 'varchar(20)'), 'lit:CURRENT_TIMESTAMP');
  });

  it('flavour and version', () => {
    assert.deepEqual(MARIADB, {quotedDefaults: true, nativeJson: false, descendingIndexes: true});
    assert.deepEqual(MYSQL8, {quotedDefaults: false, nativeJson: true, descendingIndexes: true});
    assert.equal(
      migrationDialect({flavor: 'mariadb', version: '10.6.2', nativeJson: false}).descendingIndexes,
      false,
    );
  });

  it('reads a table in the model schema or DATABASE()', () => {
    const {mapping} = single({id: ID}, {mysql: {schema: 'other', table: 't'}});
    const read = buildReadTable(mapping);
    assert.match(
      read.columns.sql,
      /FROM information_schema\.COLUMNS WHERE TABLE_SCHEMA = \? AND TABLE_NAME = \?/,
    );
    assert.deepEqual(read.columns.params, ['other', 't']);
    const plain = buildReadTable(single({id: ID}).mapping);
    assert.match(plain.indexes.sql, /TABLE_SCHEMA = DATABASE\(\) AND TABLE_NAME = \?/);
    assert.deepEqual(plain.foreignKeys.params, ['M']);
    assert.match(plain.checks.sql, /CHECK_CONSTRAINTS/);
  });
});

describe('autoupdate diff', () => {
  /** A model covering every column form, and its table as each server reports it right after automigrate. */
  const props = (): Record<string, PropertyDefinition> => ({
    id: ID,
    name: {type: String, required: true, index: {unique: true}},
    qty: {type: Number, mysql: {unsigned: true, default: 0}},
    price: {type: Number, precision: 10, scale: 2, mysql: {default: 1.5}},
    flag: {type: Boolean, mysql: {default: true}},
    label: {type: String, length: 20, mysql: {default: "it's"}},
    created: {type: Date, mysql: {default: 'now'}},
    doc: {type: Object, mysql: {dataType: 'json'}},
    customerId: {type: Number},
  });
  const properties = props();
  const settings: ModelSettings = {
    indexes: {by_qty: {keys: {qty: 1, created: -1}}},
    foreignKeys: {fk_c: {entity: 'Customer', entityKey: 'id', foreignKey: 'customerId'}},
  };
  const models = {Customer: [{id: ID}], Item: [properties, settings]} satisfies Record<
    string,
    [Record<string, PropertyDefinition>, ModelSettings?]
  >;

  const col = (
    name: string,
    columnType: string,
    columnDefault: unknown,
    nullable = 'YES',
    extra = '',
    charset: string | null = null,
  ) => ({
    name,
    columnType,
    nullable,
    columnDefault,
    extra,
    charset,
    collation: charset && `${charset}_bin`,
  });

  const mariadb: TableSnapshot = {
    columns: [
      col('id', 'int(11)', null, 'NO', 'auto_increment'),
      col('name', 'varchar(255)', null, 'NO', '', 'utf8mb4'),
      col('qty', 'int(10) unsigned', '0'),
      col('price', 'decimal(10,2)', '1.50'),
      col('flag', 'tinyint(1)', '1'),
      col('label', 'varchar(20)', "'it''s'", 'YES', '', 'utf8mb4'),
      col('created', 'datetime(3)', 'current_timestamp(3)'),
      col('doc', 'longtext', 'NULL', 'YES', '', 'utf8mb4'),
      col('customerId', 'int(11)', 'NULL'),
    ],
    indexes: [
      {
        name: 'PRIMARY',
        nonUnique: 0,
        columnName: 'id',
        direction: 'A',
        indexType: 'BTREE',
        subPart: null,
      },
      {
        name: 'by_qty',
        nonUnique: 1,
        columnName: 'qty',
        direction: 'A',
        indexType: 'BTREE',
        subPart: null,
      },
      {
        name: 'by_qty',
        nonUnique: 1,
        columnName: 'created',
        direction: 'D',
        indexType: 'BTREE',
        subPart: null,
      },
      {
        name: 'fk_c',
        nonUnique: 1,
        columnName: 'customerId',
        direction: 'A',
        indexType: 'BTREE',
        subPart: null,
      },
      {
        name: 'name',
        nonUnique: 0,
        columnName: 'name',
        direction: 'A',
        indexType: 'BTREE',
        subPart: null,
      },
    ],
    foreignKeys: [
      {
        name: 'fk_c',
        tableSchema: 'db',
        columnName: 'customerId',
        refSchema: 'db',
        refTable: 'Customer',
        refColumn: 'id',
        onUpdate: 'RESTRICT',
        onDelete: 'RESTRICT',
      },
    ],
    checks: [{clause: 'json_valid(`doc`)'}],
  };

  const mysql8: TableSnapshot = {
    ...mariadb,
    columns: [
      col('id', 'int', null, 'NO', 'auto_increment'),
      col('name', 'varchar(255)', null, 'NO', '', 'utf8mb4'),
      col('qty', 'int unsigned', '0'),
      col('price', 'decimal(10,2)', '1.50'),
      col('flag', 'tinyint(1)', '1'),
      col('label', 'varchar(20)', "it's", 'YES', '', 'utf8mb4'),
      col('created', 'datetime(3)', 'CURRENT_TIMESTAMP(3)', 'YES', 'DEFAULT_GENERATED'),
      col('doc', 'json', null),
      col('customerId', 'int', null),
    ],
    foreignKeys: mariadb.foreignKeys!.map((r) => ({
      ...r,
      onUpdate: 'NO ACTION',
      onDelete: 'NO ACTION',
    })),
    checks: [],
  };

  function diff(
    snapshot: TableSnapshot,
    dialect: MigrationDialect = MARIADB,
    change: (p: Record<string, PropertyDefinition>, s: ModelSettings) => void = () => undefined,
    options = {},
  ) {
    const p = props();
    const s = structuredClone(settings);
    change(p, s);
    const {mapping, ctx} = setup({Customer: [{id: ID}], Item: [p, s]}, dialect);
    return diffTable(mapping('Item'), liveTable(snapshot, dialect), ctx, options);
  }

  it('a table that matches its model, as MariaDB reports it: nothing to do', () => {
    const d = diff(mariadb, MARIADB);
    assert.deepEqual(d, {
      dropForeignKeys: undefined,
      create: undefined,
      alter: undefined,
      addForeignKeys: undefined,
      warnings: [],
    });
  });

  it('the same table as MySQL 8 reports it: nothing to do', () => {
    const d = diff(mysql8, MYSQL8);
    assert.equal(d.alter, undefined);
    assert.equal(d.dropForeignKeys, undefined);
    assert.equal(d.addForeignKeys, undefined);
  });

  it('LONGTEXT without a JSON_VALID check is not JSON', () => {
    const d = diff({...mariadb, checks: []});
    assert.equal(d.alter, 'ALTER TABLE `Item` MODIFY COLUMN `doc` JSON NULL');
  });

  it('a missing table: CREATE TABLE, foreign keys after', () => {
    const {mapping, ctx} = setup(models);
    const plan = buildAutoupdate(
      [
        {mapping: mapping('Item'), live: liveTable({columns: []}, MARIADB)},
        {mapping: mapping('Customer'), live: undefined},
      ],
      ctx,
    );
    assert.equal(plan.statements.length, 3);
    assert.match(plan.statements[0]!, /^CREATE TABLE `Item` \(/);
    assert.match(plan.statements[1]!, /^CREATE TABLE `Customer` \(/);
    assert.equal(
      plan.statements[2],
      'ALTER TABLE `Item` ADD CONSTRAINT `fk_c` FOREIGN KEY (`customerId`) REFERENCES `Customer` (`id`)',
    );
  });

  it('adds and modifies columns: type, length, precision, nullability, default', () => {
    const d = diff(mariadb, MARIADB, (p) => {
      p.extra = {type: String, mysql: {columnName: 'extra col'}};
      p.name!.length = 100;
      p.price!.scale = 3;
      p.flag!.required = true;
      p.label!.mysql = {default: 'other'};
      p.created!.mysql = {default: 'now', dataType: 'datetime', precision: 6};
      p.qty!.mysql = {default: 0};
    });
    assert.deepEqual(d.warnings, []);
    assert.equal(
      d.alter,
      'ALTER TABLE `Item` MODIFY COLUMN `name` VARCHAR(100) NOT NULL, ' +
        'MODIFY COLUMN `qty` INT NULL DEFAULT 0, ' +
        'MODIFY COLUMN `price` DECIMAL(10,3) NULL DEFAULT 1.5, ' +
        'MODIFY COLUMN `flag` TINYINT(1) NOT NULL DEFAULT true, ' +
        "MODIFY COLUMN `label` VARCHAR(20) NULL DEFAULT 'other', " +
        'MODIFY COLUMN `created` DATETIME(6) NULL DEFAULT CURRENT_TIMESTAMP(6), ' +
        'ADD COLUMN `extra col` VARCHAR(512) NULL',
    );
  });

  it('a default removed, and one added', () => {
    const d = diff(mysql8, MYSQL8, (p) => {
      p.qty!.mysql = {unsigned: true};
      p.customerId!.mysql = {default: 5};
    });
    assert.equal(
      d.alter,
      'ALTER TABLE `Item` MODIFY COLUMN `qty` INT UNSIGNED NULL, MODIFY COLUMN `customerId` INT NULL DEFAULT 5',
    );
  });

  it('keeps a column the model lacks, with a warning; drops it when allowed', () => {
    const kept = diff(mariadb, MARIADB, (p) => delete p.label);
    assert.equal(kept.alter, undefined);
    assert.equal(kept.warnings.length, 1);
    assert.deepEqual(
      {...kept.warnings[0], message: undefined},
      {model: 'Item', table: 'Item', column: 'label', message: undefined},
    );
    const byOption = diff(mariadb, MARIADB, (p) => delete p.label, {allowDropColumns: true});
    assert.equal(byOption.alter, 'ALTER TABLE `Item` DROP COLUMN `label`');
    assert.deepEqual(byOption.warnings, []);
    const bySetting = diff(mariadb, MARIADB, (p, s) => {
      delete p.label;
      s.mysql = {allowDropColumns: true};
    });
    assert.equal(bySetting.alter, 'ALTER TABLE `Item` DROP COLUMN `label`');
  });

  it('drops and re-adds a changed index; adds a new one; keeps unknown ones', () => {
    const d = diff(mariadb, MARIADB, (p, s) => {
      s.indexes = {by_qty: {keys: {qty: 1}}, by_label: {columns: 'label', kind: 'unique'}};
    });
    assert.equal(
      d.alter,
      'ALTER TABLE `Item` DROP INDEX `by_qty`, ADD INDEX `by_qty` (`qty`), ADD UNIQUE INDEX `by_label` (`label`)',
    );
    const unique = diff(mariadb, MARIADB, (p) => {
      p.name!.index = true;
    });
    assert.equal(unique.alter, 'ALTER TABLE `Item` DROP INDEX `name`, ADD INDEX `name` (`name`)');
  });

  it('drops unknown indexes only when allowed, never PRIMARY nor a foreign key index', () => {
    const change = (_p: unknown, s: ModelSettings) => {
      s.indexes = {};
    };
    assert.equal(diff(mariadb, MARIADB, change).alter, undefined);
    assert.equal(
      diff(mariadb, MARIADB, change, {allowDropIndexes: true}).alter,
      'ALTER TABLE `Item` DROP INDEX `by_qty`',
    );
  });

  it('ignores key direction where the server does not keep it', () => {
    const old = migrationDialect({flavor: 'mariadb', version: '10.6.0', nativeJson: false});
    const flat = {
      ...mariadb,
      indexes: mariadb.indexes!.map((r) => ({...r, direction: 'A'})),
    };
    assert.equal(diff(flat, old).alter, undefined);
    assert.equal(
      diff(flat, MARIADB).alter,
      'ALTER TABLE `Item` DROP INDEX `by_qty`, ADD INDEX `by_qty` (`qty`,`created` DESC)',
    );
  });

  it('a changed foreign key is dropped first and added last', () => {
    const d = diff(mariadb, MARIADB, (_p, s) => {
      s.foreignKeys = {
        fk_c: {entity: 'Customer', entityKey: 'id', foreignKey: 'customerId', onDelete: 'CASCADE'},
      };
    });
    assert.equal(d.dropForeignKeys, 'ALTER TABLE `Item` DROP FOREIGN KEY `fk_c`');
    assert.equal(d.alter, undefined);
    assert.equal(
      d.addForeignKeys,
      'ALTER TABLE `Item` ADD CONSTRAINT `fk_c` FOREIGN KEY (`customerId`) REFERENCES `Customer` (`id`) ON DELETE CASCADE',
    );
  });

  it('RESTRICT, NO ACTION and no action at all are the same', () => {
    const d = diff(mysql8, MYSQL8, (_p, s) => {
      s.foreignKeys = {
        fk_c: {
          entity: 'Customer',
          foreignKey: 'customerId',
          onDelete: 'restrict',
          onUpdate: 'NO ACTION',
        },
      };
    });
    assert.equal(d.dropForeignKeys, undefined);
    assert.equal(d.addForeignKeys, undefined);
  });

  it('keeps an unknown foreign key unless allowed', () => {
    const none = (_p: unknown, s: ModelSettings) => {
      s.foreignKeys = {};
    };
    assert.equal(diff(mariadb, MARIADB, none).dropForeignKeys, undefined);
    assert.equal(
      diff(mariadb, MARIADB, none, {allowDropForeignKeys: true}).dropForeignKeys,
      'ALTER TABLE `Item` DROP FOREIGN KEY `fk_c`',
    );
  });

  it('orders the passes across tables', () => {
    const {mapping, ctx} = setup({
      Customer: [{id: ID, note: {type: String}}],
      Item: [
        properties,
        {
          ...settings,
          foreignKeys: {fk_c: {entity: 'Customer', foreignKey: 'customerId', onDelete: 'CASCADE'}},
        },
      ],
    });
    const plan = buildAutoupdate(
      [
        {mapping: mapping('Item'), live: liveTable(mariadb, MARIADB)},
        {
          mapping: mapping('Customer'),
          live: liveTable({columns: [col('id', 'int(11)', null, 'NO', 'auto_increment')]}, MARIADB),
        },
      ],
      ctx,
    );
    assert.deepEqual(plan.statements, [
      'ALTER TABLE `Item` DROP FOREIGN KEY `fk_c`',
      'ALTER TABLE `Customer` ADD COLUMN `note` VARCHAR(512) NULL',
      'ALTER TABLE `Item` ADD CONSTRAINT `fk_c` FOREIGN KEY (`customerId`) REFERENCES `Customer` (`id`) ON DELETE CASCADE',
    ]);
  });
});

describe('migration arguments', () => {
  it('(models, cb), (cb), (models, options, cb) and no callback', () => {
    const cb = () => undefined;
    assert.deepEqual(migrationArgs(['A'], cb, undefined), [['A'], {}, cb]);
    assert.deepEqual(migrationArgs(cb, undefined, undefined), [undefined, {}, cb]);
    assert.deepEqual(migrationArgs('A', {dryRun: true}, cb), ['A', {dryRun: true}, cb]);
    assert.deepEqual(migrationArgs(undefined, undefined, undefined), [undefined, {}, undefined]);
  });
});
