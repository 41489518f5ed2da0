// Tables owned by sidecar/src/notify (logical names; the prefix is added by the TablePrefixPlugin).


export interface NotifyTables {}
