// Tables owned by sidecar/src/payments (logical names; the prefix is added by the TablePrefixPlugin).


export interface PaymentsTables {}
