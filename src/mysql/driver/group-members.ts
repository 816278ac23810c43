/*
 * Reading the membership of a MySQL Group Replication group: the statement every configured member answers, and
 * the view of the group that routes statements, read from those answers (pure). The routing itself is
 * group-replication.ts.
 */

/** Every member's own server_uuid and the group as it sees it; one row with NULL members when it is in no group. */
export const GROUP_MEMBERS_SQL =
  'SELECT @@server_uuid AS self, m.MEMBER_ID AS id, m.MEMBER_HOST AS host, m.MEMBER_PORT AS port, ' +
  'm.MEMBER_STATE AS state, m.MEMBER_ROLE AS role ' +
  'FROM (SELECT 1) AS one LEFT JOIN performance_schema.replication_group_members AS m ON TRUE';

/** One row of replication_group_members. */
export interface GroupMemberRow {
  readonly id: string;
  readonly host: string;
  readonly port: number | null;
  /** ONLINE, RECOVERING, UNREACHABLE, OFFLINE, ERROR. */
  readonly state: string;
  /** PRIMARY, SECONDARY, or empty outside a group. */
  readonly role: string;
}

/** What one configured member answered to {@link GROUP_MEMBERS_SQL}, or why it did not. */
export type MemberProbe =
  {readonly uuid: string; readonly rows: readonly GroupMemberRow[]} | {readonly error: Error};

/** Why statements cannot go where they should: no primary (writes), no majority or no member at all (everything). */
export type GroupProblemCode = 'NO_PRIMARY' | 'NO_QUORUM' | 'NO_MEMBER';

/** Where statements go, by index into the configured members. */
export interface GroupView {
  /** The member that takes writes; undefined while there is none this process can reach. */
  readonly primary: number | undefined;
  /** The ONLINE secondaries this process reaches, in configured order. */
  readonly secondaries: readonly number[];
  /** Whether the view comes from a member in a majority of the group. */
  readonly quorum: boolean;
  /** Why there is no primary (writes fail with it as a 503). */
  readonly problem: {readonly code: GroupProblemCode; readonly message: string} | undefined;
  /** Each configured member as the view sees it (`127.0.0.1:3431 ONLINE PRIMARY`), for messages and the debug log. */
  readonly members: readonly string[];
}

export const NOT_LOOKED: GroupView = {
  primary: undefined,
  secondaries: [],
  quorum: false,
  problem: {code: 'NO_MEMBER', message: 'The group has not been looked at yet'},
  members: [],
};

function reachable(rows: readonly GroupMemberRow[]): number {
  return rows.filter((r) => r.state !== 'UNREACHABLE').length;
}

/**
 * Where statements go, from what each configured member answered. Pure. `names` are the members' `host:port`, in
 * the same order as `probes`.
 */
export function readGroupView(probes: readonly MemberProbe[], names: readonly string[]): GroupView {
  const uuids = probes.map((p) => ('uuid' in p ? p.uuid : undefined));
  const indexOf = (id: string): number => uuids.indexOf(id);
  const primaryRow = (rows: readonly GroupMemberRow[]) =>
    rows.find((r) => r.role === 'PRIMARY' && r.state === 'ONLINE');
  // Views of members that are ONLINE themselves, and among them those of a majority.
  const views: {from: number; rows: readonly GroupMemberRow[]}[] = [];
  probes.forEach((p, from) => {
    if ('rows' in p && p.rows.find((r) => r.id === p.uuid)?.state === 'ONLINE') {
      views.push({from, rows: p.rows});
    }
  });
  const majority = views.filter((v) => reachable(v.rows) * 2 > v.rows.length);
  // Views differ for a few ms around a change: prefer one whose primary this process reaches.
  const chosen =
    majority.find((v) => {
      const p = primaryRow(v.rows);
      return p !== undefined && indexOf(p.id) >= 0;
    }) ?? majority[0];

  const describe = (rows: readonly GroupMemberRow[] | undefined): string[] =>
    probes.map((p, i) => {
      if ('error' in p) {
        const code = (p.error as {code?: unknown}).code;
        return `${names[i]} ${typeof code === 'string' ? code : p.error.message}`;
      }
      const row = rows?.find((r) => r.id === p.uuid);
      if (row) return `${names[i]} ${row.state} ${row.role}`.trimEnd();
      const own = p.rows.find((r) => r.id === p.uuid);
      return `${names[i]} not in the group (${own ? own.state : 'no Group Replication'})`;
    });

  if (!chosen) {
    const seen = views[0];
    if (seen) {
      const self = names[seen.from];
      return {
        ...NOT_LOOKED,
        problem: {
          code: 'NO_QUORUM',
          message:
            `The group has lost its majority: ${reachable(seen.rows)} of its ${seen.rows.length} members are ` +
            `reachable as ${self} sees it. Nothing is read or written until a majority is back`,
        },
        members: describe(seen.rows),
      };
    }
    const members = describe(undefined);
    return {
      ...NOT_LOOKED,
      problem: {
        code: 'NO_MEMBER',
        message: `No member of the group is ONLINE and reachable (${members.join(', ')})`,
      },
      members,
    };
  }

  const {rows} = chosen;
  const roleOf = (i: number) => {
    const uuid = uuids[i];
    const row = uuid === undefined ? undefined : rows.find((r) => r.id === uuid);
    return row?.state === 'ONLINE' ? row.role : undefined;
  };
  const secondaries = names.map((_, i) => i).filter((i) => roleOf(i) === 'SECONDARY');
  const p = primaryRow(rows);
  const primary = p === undefined ? -1 : indexOf(p.id);
  let problem: GroupView['problem'];
  if (!p) {
    problem = {
      code: 'NO_PRIMARY',
      message: 'The group has no primary at the moment (an election is under way)',
    };
  } else if (primary < 0) {
    const where = `${p.host}:${p.port ?? 3306}`;
    const configured = names.includes(where);
    problem = {
      code: 'NO_PRIMARY',
      message: configured
        ? `The primary ${where} does not answer`
        : `The primary ${where} (${p.id}) is not one of the configured nodes`,
    };
  }
  return {
    primary: primary >= 0 ? primary : undefined,
    secondaries,
    quorum: true,
    problem,
    members: describe(rows),
  };
}

/** What a member answered to {@link GROUP_MEMBERS_SQL}: its own server_uuid and the group's rows as it sees them. */
export function memberProbe(rows: readonly Record<string, unknown>[]): MemberProbe {
  return {
    uuid: text(rows[0]?.self),
    rows: rows
      .filter((r) => r.id !== null && r.id !== undefined)
      .map((r) => ({
        id: text(r.id),
        host: text(r.host),
        port: r.port === null || r.port === undefined ? null : Number(r.port),
        state: text(r.state),
        role: text(r.role),
      })),
  };
}

/** A column of replication_group_members as text ('' for NULL). */
function text(value: unknown): string {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';
}
