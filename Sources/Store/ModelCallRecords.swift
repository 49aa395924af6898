import Foundation

/// One call to a model made by an agent or `llm` step: what it used and what it cost.
///
/// Cost is per call because prices are per model and a step may fail over between models;
/// a call to a model without a known price has `costUSD` nil, never 0.
public struct ModelCallRecord: Sendable, Hashable {
    public var runID: String
    public var stepID: String
    public var fanoutIndex: Int?
    public var attempt: Int
    /// 1 for the first call of the attempt.
    public var turn: Int
    public var provider: String
    /// The model that answered, as the models file names it.
    public var model: String
    public var inputTokens: Int
    public var outputTokens: Int
    public var cacheReadTokens: Int
    public var cacheWriteTokens: Int
    /// nil when the model has no price, or the provider reported no usage.
    public var costUSD: Double?
    public var durationMs: Int
    public var createdAt: Date
    /// Where the model processed the data (`eu`, `us`, `local`, …); nil when unknown.
    public var region: String?
    /// PII entities the privacy router replaced by placeholders in the request.
    public var piiRedacted: Int

    public init(
        runID: String, stepID: String, fanoutIndex: Int? = nil, attempt: Int, turn: Int, provider: String, model: String,
        inputTokens: Int = 0, outputTokens: Int = 0, cacheReadTokens: Int = 0, cacheWriteTokens: Int = 0,
        costUSD: Double?, durationMs: Int = 0, createdAt: Date = Date(), region: String? = nil, piiRedacted: Int = 0
    ) {
        self.region = region
        self.piiRedacted = piiRedacted
        self.runID = runID
        self.stepID = stepID
        self.fanoutIndex = fanoutIndex
        self.attempt = attempt
        self.turn = turn
        self.provider = provider
        self.model = model
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.cacheReadTokens = cacheReadTokens
        self.cacheWriteTokens = cacheWriteTokens
        self.costUSD = costUSD
        self.durationMs = durationMs
        self.createdAt = createdAt
    }
}

/// Tokens and cost summed over model calls (of a step, a run, …).
public struct ModelUsageTotals: Sendable, Hashable {
    public var calls: Int
    public var inputTokens: Int
    public var outputTokens: Int
    public var cacheReadTokens: Int
    public var cacheWriteTokens: Int
    /// The sum over the calls whose cost is known.
    public var pricedCostUSD: Double
    /// Calls whose cost is unknown (no price, or no usage reported).
    public var unpricedCalls: Int

    public init(
        calls: Int = 0, inputTokens: Int = 0, outputTokens: Int = 0, cacheReadTokens: Int = 0, cacheWriteTokens: Int = 0,
        pricedCostUSD: Double = 0, unpricedCalls: Int = 0
    ) {
        self.calls = calls
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.cacheReadTokens = cacheReadTokens
        self.cacheWriteTokens = cacheWriteTokens
        self.pricedCostUSD = pricedCostUSD
        self.unpricedCalls = unpricedCalls
    }

    /// Totals of `calls`.
    public init<Calls: Sequence>(summing calls: Calls) where Calls.Element == ModelCallRecord {
        self.init()
        for call in calls { add(call) }
    }

    public mutating func add(_ call: ModelCallRecord) {
        calls += 1
        inputTokens += call.inputTokens
        outputTokens += call.outputTokens
        cacheReadTokens += call.cacheReadTokens
        cacheWriteTokens += call.cacheWriteTokens
        if let cost = call.costUSD { pricedCostUSD += cost } else { unpricedCalls += 1 }
    }

    /// The whole cost, or nil when some call's cost is unknown (then ``pricedCostUSD`` is a lower bound).
    public var costUSD: Double? { unpricedCalls == 0 ? pricedCostUSD : nil }
}
