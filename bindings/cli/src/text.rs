//! Showing strings to sign: invisible characters made visible, and a
//! line-by-line diff.

/// `bytes` (one line) with everything invisible or ambiguous escaped: `\\`,
/// `\r`, `\t`, `\n`, `\xNN` for other ASCII controls and bytes that are not
/// UTF-8, `\u{NNNN}` for invisible or look-alike Unicode (controls, non-ASCII
/// spaces, zero-width and direction marks, the BOM).
pub fn visible(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\n' => out.push_str("\\n"),
                c if c.is_ascii_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
                c if is_invisible(c) => out.push_str(&format!("\\u{{{:04x}}}", c as u32)),
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

fn is_invisible(c: char) -> bool {
    c.is_control()
        || (c.is_whitespace() && c != ' ')
        || matches!(c, '\u{ad}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}' | '\u{feff}')
}

/// The lines of `bytes`, split at LF (a trailing LF gives a last empty line).
pub fn lines(bytes: &[u8]) -> Vec<&[u8]> {
    bytes.split(|&b| b == b'\n').collect()
}

/// One line of a diff between ours and theirs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Diff<'a> {
    Both(&'a [u8]),
    Ours(&'a [u8]),
    Theirs(&'a [u8]),
}

/// A line diff (longest common subsequence); positional beyond a size where
/// the quadratic table would be too big for a debugging aid.
pub fn diff<'a>(ours: &[&'a [u8]], theirs: &[&'a [u8]]) -> Vec<Diff<'a>> {
    let (n, m) = (ours.len(), theirs.len());
    if n.saturating_mul(m) > 4_000_000 {
        let mut out = Vec::new();
        for i in 0..n.max(m) {
            match (ours.get(i), theirs.get(i)) {
                (Some(a), Some(b)) if a == b => out.push(Diff::Both(a)),
                (a, b) => {
                    out.extend(a.map(|a| Diff::Ours(a)));
                    out.extend(b.map(|b| Diff::Theirs(b)));
                }
            }
        }
        return out;
    }
    // common[i][j]: length of the LCS of ours[i..] and theirs[j..].
    let mut common = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            common[i][j] = if ours[i] == theirs[j] { common[i + 1][j + 1] + 1 } else { common[i + 1][j].max(common[i][j + 1]) };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < n || j < m {
        if i < n && j < m && ours[i] == theirs[j] {
            out.push(Diff::Both(ours[i]));
            (i, j) = (i + 1, j + 1);
        } else if j < m && (i == n || common[i][j + 1] > common[i + 1][j]) {
            out.push(Diff::Theirs(theirs[j]));
            j += 1;
        } else {
            out.push(Diff::Ours(ours[i]));
            i += 1;
        }
    }
    out
}

/// The first byte offset where `a` and `b` differ (the shorter length when one is a prefix).
pub fn first_difference(a: &[u8], b: &[u8]) -> Option<usize> {
    a.iter().zip(b).position(|(x, y)| x != y).or_else(|| (a.len() != b.len()).then(|| a.len().min(b.len())))
}

/// The column (in `visible` characters) of byte `offset` of `line`.
pub fn visible_column(line: &[u8], offset: usize) -> usize {
    visible(&line[..offset.min(line.len())]).chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invisibles_are_escaped() {
        assert_eq!(visible(b"a\\b\r\t\x01 \xff"), "a\\\\b\\r\\t\\x01 \\xff");
        assert_eq!(visible("nbsp\u{a0}zw\u{200b}bom\u{feff}é".as_bytes()), "nbsp\\u{00a0}zw\\u{200b}bom\\u{feff}é");
    }

    #[test]
    fn diff_finds_changed_lines() {
        let ours = lines(b"a\nb\nc");
        let theirs = lines(b"a\nB\nc\nd");
        assert_eq!(diff(&ours, &theirs), [Diff::Both(b"a"), Diff::Ours(b"b"), Diff::Theirs(b"B"), Diff::Both(b"c"), Diff::Theirs(b"d")]);
        assert_eq!(first_difference(b"POST,a", b"POST,b"), Some(5));
        assert_eq!(first_difference(b"abc", b"abc\n"), Some(3));
        assert_eq!(first_difference(b"abc", b"abc"), None);
        assert_eq!(visible_column(b"\tx", 1), 2);
    }
}
