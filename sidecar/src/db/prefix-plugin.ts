// Kysely plugin that maps logical table names to prefixed physical ones (ours and WordPress's).
import {
  AliasNode,
  IdentifierNode,
  OperationNodeTransformer,
  TableNode,
  type KyselyPlugin,
  type OperationNode,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
} from 'kysely';

/** WordPress core tables the sidecar reads; every other logical name is one of ours. */
export const WP_TABLES = new Set(['users', 'usermeta', 'posts', 'postmeta']);

const NO_ALIASES: ReadonlySet<string> = new Set();
const NO_ITEMS: readonly OperationNode[] = [];

/**
 * Names given to tables and derived tables with `as` in this query: `r.id` refers to the alias, which keeps its
 * name. Values are not operation nodes (a bulk insert's rows can be large), so they are not walked; most queries have
 * no alias at all, and then nothing is allocated.
 */
function collectTableAliases(node: unknown, out: Set<string> | null): Set<string> | null {
  if (node === null || typeof node !== 'object') return out;
  if (Array.isArray(node)) {
    for (const n of node) out = collectTableAliases(n, out);
    return out;
  }
  const op = node as OperationNode;
  if (op.kind === 'ValueNode' || op.kind === 'PrimitiveValueListNode') return out;
  // What FROM and JOIN name: a table's alias, or a derived table's (`(select …) as u`), which `u.id` then refers to.
  const named =
    op.kind === 'FromNode'
      ? (op as unknown as { froms: readonly OperationNode[] }).froms
      : op.kind === 'JoinNode' || op.kind === 'UpdateQueryNode'
        ? [(op as unknown as { table: OperationNode }).table]
        : NO_ITEMS;
  for (const item of named) {
    if (AliasNode.is(item) && IdentifierNode.is(item.alias) && (TableNode.is(item.node) || item.node.kind === 'SelectQueryNode')) {
      (out ??= new Set()).add(item.alias.name);
    }
  }
  for (const key in node) {
    const value = (node as Record<string, unknown>)[key];
    if (typeof value === 'object' && value !== null) out = collectTableAliases(value, out);
  }
  return out;
}

/**
 * One instance per plugin, not per query: Kysely's transformer binds some seventy methods when it is constructed,
 * which was a sixth of everything an unlock allocated. transformNode is synchronous, so the query's aliases can
 * live on the instance for the length of one call.
 */
class PrefixTransformer extends OperationNodeTransformer {
  private aliases: ReadonlySet<string> = NO_ALIASES;
  /**
   * The table nodes this transformer made. Kysely runs the plugins on a query built from `db` when it becomes part of
   * another (a derived table, INSERT … SELECT), and then on the whole outer query: the second pass must leave them.
   */
  private readonly prefixed = new WeakSet<TableNode>();

  constructor(
    private readonly ours: string,
    private readonly wp: string,
  ) {
    super();
  }

  prefix(node: RootOperationNode, queryId: PluginTransformQueryArgs['queryId']): RootOperationNode {
    this.aliases = collectTableAliases(node, null) ?? NO_ALIASES;
    try {
      return this.transformNode(node, queryId);
    } finally {
      this.aliases = NO_ALIASES;
    }
  }

  protected override transformTable(node: TableNode): TableNode {
    const name = node.table.identifier.name;
    if (this.prefixed.has(node) || this.aliases.has(name)) return node;
    const prefix = WP_TABLES.has(name) ? this.wp : this.ours;
    const out = node.table.schema ? TableNode.createWithSchema(node.table.schema.name, prefix + name) : TableNode.create(prefix + name);
    this.prefixed.add(out);
    return out;
  }
}

export class TablePrefixPlugin implements KyselyPlugin {
  private readonly transformer: PrefixTransformer;

  constructor(ours: string, wp: string) {
    this.transformer = new PrefixTransformer(ours, wp);
  }

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return this.transformer.prefix(args.node, args.queryId);
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}
