/// Edit distance for "did you mean" on unknown names: workflow fields, step ids and inputs,
/// model names and keys of the models file. It lives below both the workflow model and the
/// model providers, which share it without knowing each other.
public enum EditDistance {
    /// The number of single-character insertions, deletions, substitutions and swaps of two
    /// neighbours (optimal string alignment) from `a` to `b`. Swaps count once because
    /// `nmae` for `name` is the commonest typo of all.
    public static func distance(_ a: String, _ b: String) -> Int {
        let lhs = Array(a.unicodeScalars)
        let rhs = Array(b.unicodeScalars)
        if lhs.isEmpty { return rhs.count }
        if rhs.isEmpty { return lhs.count }
        var table = [[Int]](repeating: [Int](repeating: 0, count: rhs.count + 1), count: lhs.count + 1)
        for i in 0...lhs.count { table[i][0] = i }
        for j in 0...rhs.count { table[0][j] = j }
        for i in 1...lhs.count {
            for j in 1...rhs.count {
                let cost = lhs[i - 1] == rhs[j - 1] ? 0 : 1
                table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
                if i > 1, j > 1, lhs[i - 1] == rhs[j - 2], lhs[i - 2] == rhs[j - 1] {
                    table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1)
                }
            }
        }
        return table[lhs.count][rhs.count]
    }

    /// The candidate closest to `word`, if any is close enough to be a plausible typo.
    ///
    /// The default threshold grows with the word (a third of its length, at least 1, at most 3):
    /// `dependson` → `depends_on`, but `id` does not suggest `if`… unless nothing else is near.
    public static func closest(
        to word: String, among candidates: some Sequence<String>,
        maximumDistance: Int? = nil
    ) -> String? {
        let limit = maximumDistance ?? min(3, max(1, word.count / 3))
        var best: (candidate: String, distance: Int)?
        for candidate in candidates where candidate != word {
            let distance = distance(word, candidate)
            // Case-only differences (`Run` for `run`) are the likeliest typo of all.
            let effective = candidate.lowercased() == word.lowercased() ? 0 : distance
            guard effective <= limit else { continue }
            if best == nil || effective < best?.distance ?? .max { best = (candidate, effective) }
        }
        if best == nil, word.count >= 3 {
            // An abbreviation (`prod` for `production`, `desc` for `description`) is far in edits
            // but obvious to a person, when only one candidate starts with it.
            let extensions = candidates.filter { $0.lowercased().hasPrefix(word.lowercased()) && $0 != word }
            if extensions.count == 1 { return extensions[0] }
        }
        return best?.candidate
    }

    /// "did you mean `x`?" or nil.
    public static func suggestion(for word: String, among candidates: some Sequence<String>) -> String? {
        closest(to: word, among: candidates).map { "did you mean `\($0)`?" }
    }

    /// Every candidate close enough to `word` to be a plausible typo, closest first (ties in
    /// the candidates' order), at most `limit` of them: for messages that list a few names.
    public static func closeMatches(
        to word: String, among candidates: some Sequence<String>, limit: Int = 3,
        maximumDistance: Int? = nil
    ) -> [String] {
        let threshold = maximumDistance ?? min(3, max(1, word.count / 3))
        let lowered = word.lowercased()
        var scored: [(candidate: String, distance: Int, order: Int)] = []
        for (order, candidate) in candidates.enumerated() where candidate != word {
            let candidateLowered = candidate.lowercased()
            let effective = candidateLowered == lowered ? 0 : distance(lowered, candidateLowered)
            // A name that extends the word (`sonnet` for `son`) is as plausible as a typo.
            let extends = word.count >= 3 && candidateLowered.hasPrefix(lowered)
            guard effective <= threshold || extends else { continue }
            scored.append((candidate, extends ? min(effective, threshold) : effective, order))
        }
        scored.sort { ($0.distance, $0.order) < ($1.distance, $1.order) }
        return scored.prefix(max(0, limit)).map(\.candidate)
    }
}
