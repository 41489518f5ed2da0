// Tables owned by sidecar/src/spending (logical names; the prefix is added by the TablePrefixPlugin).


export interface SpendingTables {}
