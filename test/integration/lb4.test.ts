/*
 * LoopBack 4 through @loopback/repository: a juggler.DataSource on this connector, entities described with
 * ModelDefinition (no decorators), DefaultCrudRepository / DefaultTransactionalRepository, relations through
 * inclusion resolvers, execute, transactions and driver errors as LB4 sees them.
 */
import assert from 'node:assert/strict';
import {
  DefaultCrudRepository,
  DefaultTransactionalRepository,
  Entity,
  EntityNotFoundError,
  IsolationLevel,
  ModelDefinition,
  isEntityNotFoundError,
  juggler,
  type BelongsToAccessor,
  type HasManyRepositoryFactory,
} from '@loopback/repository';
import * as connector from '../../src';
import {createDatabase, dataSourceSettings, dropDatabase} from '../helpers/mysql-config';

// `declare` fields: with ES2022 class fields, plain declarations would overwrite what Model's constructor assigns.
class Customer extends Entity {
  declare id?: number;
  declare name: string;
  declare email?: string;
  declare vip?: boolean;
  declare orders?: Order[];

  constructor(data?: Partial<Customer>) {
    super(data);
  }
}

class Order extends Entity {
  declare id?: number;
  declare customerId: number;
  declare total: number;
  declare note?: string;
  declare customer?: Customer;

  constructor(data?: Partial<Order>) {
    super(data);
  }
}

/** A string id chosen by the caller, for the duplicate-key test. */
class Product extends Entity {
  declare sku: string;
  declare name: string;

  constructor(data?: Partial<Product>) {
    super(data);
  }
}

Customer.definition = new ModelDefinition('Customer')
  .addProperty('id', {type: 'number', id: true, generated: true})
  .addProperty('name', {type: 'string', required: true})
  .addProperty('email', {type: 'string'})
  .addProperty('vip', {type: 'boolean'})
  .hasMany('orders', {source: Customer, target: () => Order, keyTo: 'customerId'});

Order.definition = new ModelDefinition('Order')
  .addProperty('id', {type: 'number', id: true, generated: true})
  .addProperty('customerId', {type: 'number', required: true})
  .addProperty('total', {type: 'number', required: true, precision: 10, scale: 2})
  .addProperty('note', {type: 'string'})
  .belongsTo('customer', {
    source: Order,
    target: () => Customer,
    keyFrom: 'customerId',
    keyTo: 'id',
  });

Product.definition = new ModelDefinition('Product')
  .addProperty('sku', {type: 'string', id: true, mysql: {dataType: 'varchar', dataLength: 32}})
  .addProperty('name', {type: 'string', required: true});

class CustomerRepository extends DefaultTransactionalRepository<Customer, number> {
  readonly orders: HasManyRepositoryFactory<Order, number>;

  constructor(dataSource: juggler.DataSource, orderRepo: () => Promise<OrderRepository>) {
    super(Customer, dataSource);
    this.orders = this.createHasManyRepositoryFactoryFor('orders', orderRepo);
    this.registerInclusionResolver('orders', this.orders.inclusionResolver);
  }
}

class OrderRepository extends DefaultTransactionalRepository<Order, number> {
  readonly customer: BelongsToAccessor<Customer, number>;

  constructor(dataSource: juggler.DataSource, customerRepo: () => Promise<CustomerRepository>) {
    super(Order, dataSource);
    this.customer = this.createBelongsToAccessorFor('customer', customerRepo);
    this.registerInclusionResolver('customer', this.customer.inclusionResolver);
  }
}

describe('LoopBack 4 repositories (integration)', function () {
  let db: string;
  let ds: juggler.DataSource;
  let customers: CustomerRepository;
  let orders: OrderRepository;
  let products: DefaultCrudRepository<Product, string>;
  let ada: Customer;
  let bob: Customer;
  let cyd: Customer;

  before(async function () {
    db = await createDatabase('lb4');
    ds = new juggler.DataSource({name: 'db', connector, ...dataSourceSettings(db)});
    customers = new CustomerRepository(ds, () => Promise.resolve(orders));
    orders = new OrderRepository(ds, () => Promise.resolve(customers));
    products = new DefaultCrudRepository(Product, ds);
    await ds.automigrate(['Customer', 'Order', 'Product']);

    ada = await customers.create({name: 'Ada', email: 'ada@example.com', vip: true});
    [bob, cyd] = (await customers.createAll([
      {name: 'Bob', email: 'bob@example.com', vip: false},
      {name: 'Cyd', vip: false},
    ])) as [Customer, Customer];
    await orders.createAll([
      {customerId: ada.id!, total: 10, note: 'first'},
      {customerId: ada.id!, total: 25.5, note: 'second'},
      {customerId: bob.id!, total: 7},
    ]);
  });

  after(async function () {
    if (ds) await ds.disconnect();
    if (db) await dropDatabase(db);
  });

  it('creates entities with generated ids, as instances of the entity class', function () {
    assert.ok(ada instanceof Customer);
    assert.equal(typeof ada.id, 'number');
    assert.ok(bob.id! > ada.id!);
    assert.ok(cyd.id! > bob.id!);
    assert.equal(ada.vip, true);
    assert.deepEqual(ada.toJSON(), {id: ada.id, name: 'Ada', email: 'ada@example.com', vip: true});
  });

  it('finds with where, order, limit, skip and fields', async function () {
    const found = await customers.find({
      where: {or: [{vip: true}, {name: {inq: ['Cyd']}}]},
      order: ['name DESC'],
      fields: {name: true, vip: true},
    });
    assert.deepEqual(
      found.map((c) => c.toJSON()),
      [
        {name: 'Cyd', vip: false},
        {name: 'Ada', vip: true},
      ],
    );

    const big = await orders.find({where: {total: {gt: 8}}, order: ['total ASC']});
    assert.deepEqual(
      big.map((o) => o.total),
      [10, 25.5],
    );

    const page = await customers.find({order: ['id ASC'], limit: 1, skip: 1});
    assert.deepEqual(
      page.map((c) => c.name),
      ['Bob'],
    );

    const like = await customers.find({where: {email: {like: '%@example.com'}}, order: ['id']});
    assert.deepEqual(
      like.map((c) => c.name),
      ['Ada', 'Bob'],
    );

    const one = await customers.findById(bob.id!, {fields: {email: true}});
    assert.deepEqual(one.toJSON(), {email: 'bob@example.com'});
  });

  it('includes hasMany and belongsTo relations through inclusion resolvers', async function () {
    const withOrders = await customers.find({
      include: [{relation: 'orders', scope: {order: ['total DESC']}}],
      order: ['id ASC'],
    });
    assert.deepEqual(
      withOrders.map((c) => [c.name, (c.orders ?? []).map((o) => o.total)]),
      [
        ['Ada', [25.5, 10]],
        ['Bob', [7]],
        ['Cyd', []],
      ],
    );

    const withCustomer = await orders.find({include: ['customer'], order: ['id ASC']});
    assert.deepEqual(
      withCustomer.map((o) => [o.total, o.customer?.name]),
      [
        [10, 'Ada'],
        [25.5, 'Ada'],
        [7, 'Bob'],
      ],
    );

    const owner = await orders.customer(withCustomer[2]!.id!);
    assert.equal(owner.name, 'Bob');
  });

  it('creates and finds through a hasMany repository', async function () {
    const created = await customers.orders(cyd.id!).create({total: 3, note: 'via relation'});
    assert.equal(created.customerId, cyd.id);
    const cydOrders = await customers.orders(cyd.id!).find();
    assert.deepEqual(
      cydOrders.map((o) => o.note),
      ['via relation'],
    );
    const deleted = await customers.orders(cyd.id!).delete();
    assert.deepEqual(deleted, {count: 1});
  });

  it('counts, updates all and reports matched rows', async function () {
    assert.deepEqual(await customers.count(), {count: 3});
    assert.deepEqual(await customers.count({vip: false}), {count: 2});

    const updated = await customers.updateAll({vip: true}, {name: {inq: ['Bob', 'Cyd']}});
    assert.deepEqual(updated, {count: 2});
    assert.deepEqual(await customers.count({vip: true}), {count: 3});

    // Matched rows count, also when no value changes.
    assert.deepEqual(await customers.updateAll({vip: true}, {vip: true}), {count: 3});
    await customers.updateAll({vip: false}, {name: {neq: 'Ada'}});

    await customers.updateById(cyd.id!, {email: 'cyd@example.com'});
    assert.equal((await customers.findById(cyd.id!)).email, 'cyd@example.com');
    assert.equal(await customers.exists(cyd.id!), true);
  });

  it('deletes by id, and fails with EntityNotFoundError (404 in LB4 REST) for a missing id', async function () {
    const temp = await customers.create({name: 'Temp'});
    await customers.deleteById(temp.id!);
    assert.equal(await customers.exists(temp.id!), false);

    for (const attempt of [
      () => customers.deleteById(temp.id!),
      () => customers.findById(temp.id!),
      () => customers.updateById(temp.id!, {name: 'Ghost'}),
    ]) {
      await assert.rejects(attempt(), (err: unknown) => {
        assert.ok(isEntityNotFoundError(err), String(err));
        assert.ok(err instanceof EntityNotFoundError);
        assert.equal(err.code, 'ENTITY_NOT_FOUND');
        assert.equal(err.entityName, 'Customer');
        assert.equal(err.entityId, temp.id);
        return true;
      });
    }
  });

  it('executes raw SQL with positional parameters', async function () {
    const rows = await customers.execute(
      'SELECT c.name, COUNT(o.id) AS n, SUM(o.total) AS total FROM `Customer` c ' +
        'JOIN `Order` o ON o.customerId = c.id WHERE o.total > ? GROUP BY c.id, c.name ORDER BY c.name',
      [5],
    );
    assert.ok(Array.isArray(rows));
    assert.deepEqual(
      (rows as {name: string; n: number; total: unknown}[]).map((r) => [
        r.name,
        Number(r.n),
        Number(r.total),
      ]),
      [
        ['Ada', 2, 35.5],
        ['Bob', 1, 7],
      ],
    );

    const result = await orders.execute('UPDATE `Order` SET note = ? WHERE total < ?', [
      'small',
      8,
    ]);
    assert.equal((result as {affectedRows: number}).affectedRows, 1);
  });

  it('commits one transaction and rolls back another', async function () {
    const before = (await orders.count()).count;

    const tx = await orders.beginTransaction(IsolationLevel.READ_COMMITTED);
    const kept = await orders.create(
      {customerId: bob.id!, total: 99, note: 'kept'},
      {transaction: tx},
    );
    assert.deepEqual(await orders.count({}, {transaction: tx}), {count: before + 1});
    // READ COMMITTED: other connections do not see the row before the commit.
    assert.deepEqual(await orders.count(), {count: before});
    await tx.commit();
    assert.equal((await orders.findById(kept.id!)).note, 'kept');

    const tx2 = await customers.beginTransaction({isolationLevel: IsolationLevel.READ_COMMITTED});
    const gone = await customers.create({name: 'Rolled back'}, {transaction: tx2});
    await orders.create({customerId: gone.id!, total: 1}, {transaction: tx2});
    assert.equal((await customers.findById(gone.id!, {}, {transaction: tx2})).name, 'Rolled back');
    await tx2.rollback();

    assert.equal(await customers.exists(gone.id!), false);
    assert.deepEqual(await orders.count(), {count: before + 1});
    assert.equal(tx2.isActive(), false);
  });

  it('passes driver errors to LB4 with code, errno and sqlState intact', async function () {
    await products.create({sku: 'A-1', name: 'Anvil'});
    await assert.rejects(products.create({sku: 'A-1', name: 'Again'}), (err: unknown) => {
      const e = err as Record<string, unknown>;
      assert.equal(e.code, 'ER_DUP_ENTRY');
      assert.equal(e.errno, 1062);
      assert.equal(e.sqlState, '23000');
      assert.equal(e.statusCode, 422);
      assert.ok(err instanceof connector.MySqlError);
      return true;
    });
    assert.deepEqual(await products.count(), {count: 1});

    await assert.rejects(customers.execute('SELECT * FROM no_such_table', []), {
      code: 'ER_NO_SUCH_TABLE',
      errno: 1146,
      sqlState: '42S02',
    });
  });
});
