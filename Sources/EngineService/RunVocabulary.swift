import Engine
import Store

// The records the service answers with are the store's; named here so that a caller of the
// service (the CLI, the server) needs no import of the store, which it must not write to.

public typealias RunRecord = Store.RunRecord
public typealias RunDetail = Store.RunDetail
public typealias RunStatus = Store.RunStatus
public typealias RunQuery = Store.RunQuery
public typealias StepRecord = Store.StepRecord
public typealias StepStatus = Store.StepStatus
public typealias StepAttemptRecord = Store.StepAttemptRecord
public typealias ApprovalRecord = Store.ApprovalRecord
public typealias ApprovalStatus = Store.ApprovalStatus
public typealias EventRecord = Store.EventRecord
public typealias ModelCallRecord = Store.ModelCallRecord
public typealias ModelUsageTotals = Store.ModelUsageTotals
