import Foundation

enum ShellQuoting {
    /// Single-quotes a word for POSIX shells unless it is plainly safe.
    static func quote(_ word: String) -> String {
        let safe =
            !word.isEmpty
            && word.unicodeScalars.allSatisfy { scalar in
                scalar.properties.isAlphabetic && scalar.isASCII || ("0"..."9").contains(scalar) || "@%+=:,./-_".unicodeScalars.contains(scalar)
            }
        if safe { return word }
        return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
