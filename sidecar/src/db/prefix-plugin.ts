// Kysely plugin that maps logical table names to prefixed physical ones (ours and WordPress's).
import {
  OperationNodeTransformer,
  TableNode,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
} from 'kysely';

/** WordPress core tables the sidecar reads; every other logical name is one of ours. */
export const WP_TABLES = new Set(['users', 'usermeta', 'posts', 'postmeta']);

class PrefixTransformer extends OperationNodeTransformer {
  constructor(
    private readonly ours: string,
    private readonly wp: string,
  ) {
    super();
  }

  protected override transformTable(node: TableNode): TableNode {
    const name = node.table.identifier.name;
    const prefix = WP_TABLES.has(name) ? this.wp : this.ours;
    if (node.table.schema) return TableNode.createWithSchema(node.table.schema.name, prefix + name);
    return TableNode.create(prefix + name);
  }
}

export class TablePrefixPlugin implements KyselyPlugin {
  private readonly transformer: PrefixTransformer;

  constructor(ours: string, wp: string) {
    this.transformer = new PrefixTransformer(ours, wp);
  }

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return this.transformer.transformNode(args.node, args.queryId);
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}
