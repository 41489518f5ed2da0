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

/** Names given to tables with `as` in this query: `r.id` refers to the alias, which keeps its name. */
function collectTableAliases(node: unknown, out: Set<string>): Set<string> {
  if (node === null || typeof node !== 'object') return out;
  if (Array.isArray(node)) {
    for (const n of node) collectTableAliases(n, out);
    return out;
  }
  const op = node as OperationNode;
  if (AliasNode.is(op) && TableNode.is(op.node) && IdentifierNode.is(op.alias)) out.add(op.alias.name);
  for (const value of Object.values(node)) if (typeof value === 'object') collectTableAliases(value, out);
  return out;
}

class PrefixTransformer extends OperationNodeTransformer {
  constructor(
    private readonly ours: string,
    private readonly wp: string,
    private readonly aliases: Set<string>,
  ) {
    super();
  }

  protected override transformTable(node: TableNode): TableNode {
    const name = node.table.identifier.name;
    if (this.aliases.has(name)) return node;
    const prefix = WP_TABLES.has(name) ? this.wp : this.ours;
    if (node.table.schema) return TableNode.createWithSchema(node.table.schema.name, prefix + name);
    return TableNode.create(prefix + name);
  }
}

export class TablePrefixPlugin implements KyselyPlugin {
  constructor(
    private readonly ours: string,
    private readonly wp: string,
  ) {}

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    const aliases = collectTableAliases(args.node, new Set());
    return new PrefixTransformer(this.ours, this.wp, aliases).transformNode(args.node, args.queryId);
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}
