//! `cargo xtask api [--bless]`: the public API of the hand-written layers, one normalised
//! line per declaration, compared with the committed dumps (in the spirit of Kotlin's
//! binary-compatibility-validator `.api` files):
//!
//! - `bindings/kotlin/api.txt`: `bindings/kotlin/src/main/kotlin/**/*.kt` (the generated code
//!   lives in `src/main/generated` and is not read). Public is Kotlin's default: everything not
//!   `private` or `internal` (`protected` counts), inside containers that are public themselves.
//! - `bindings/swift/api.txt`: `bindings/swift/Sources/HmacSig/*.swift` but the generated
//!   `HmacSig.swift`. Public means `public` or `open` (Swift's default is internal), members of
//!   a `public extension`, requirements of a public protocol and cases of a public enum; an
//!   extension adding conformances to a type is listed with them.
//! - `bindings/python/api.txt`: each public module's `__all__` (`hmacsig`, `hmacsig.requests`,
//!   `hmacsig.httpx`, `hmacsig.asgi`, `hmacsig.wsgi`), each name resolved through the package's
//!   imports to its definition: functions with their signature, classes with their public
//!   methods and attributes (those of hand-written bases included); names from the generated
//!   `hmacsig._ffi` are marked `generated`.
//!
//! Pure text, no build: line-based parsers that blank comments, mask string literals, join
//! lines while brackets are open and track nesting by braces (Python: by indentation). Limits,
//! accepted because the sources here do not need more: members declared on the same line as
//! their container's opening brace are not seen; implicit constructors and the members Kotlin
//! generates for data classes (`copy`, `componentN`) are not listed; types that are inferred
//! (`val x = 1`) are shown by their initializer.
//!
//! `cargo xtask test` runs the check, one test per language; `--bless` rewrites the files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::util::{Counts, Result, log, root};

/// The languages with a dump, and where it lives.
pub const LANGS: [&str; 3] = ["python", "kotlin", "swift"];

pub fn api_file(lang: &str) -> PathBuf {
    root().join("bindings").join(lang).join("api.txt")
}

fn header(lang: &str) -> String {
    format!(
        "# The public API of the hand-written {lang} layer, one declaration a line (sorted).\n\
         # Checked by `cargo xtask test`; after an intended change: `cargo xtask api --bless`.\n"
    )
}

/// The dump of `lang`'s sources as they are now.
pub fn dump(lang: &str) -> Result<String> {
    let lines = match lang {
        "kotlin" => kotlin_api(&root().join("bindings/kotlin/src/main/kotlin"))?,
        "swift" => swift_api(&root().join("bindings/swift/Sources/HmacSig"))?,
        "python" => python_api(&root().join("bindings/python/python/hmacsig"))?,
        other => return Err(format!("no API dump for {other:?}; use one of {LANGS:?}")),
    };
    let mut out = header(lang);
    for line in lines {
        out.push_str(&line);
        out.push('\n');
    }
    Ok(out)
}

/// Compares `lang`'s dump with its file; the differences, as `-` (file only) and `+`
/// (sources only) lines, when they differ.
pub fn compare(lang: &str) -> Result<Option<String>> {
    let actual = dump(lang)?;
    let path = api_file(lang);
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    if expected == actual {
        return Ok(None);
    }
    Ok(Some(diff(&expected, &actual)))
}

/// Lines only in `old` (`- `) and only in `new` (`+ `), as multisets, in sorted order.
fn diff(old: &str, new: &str) -> String {
    let mut counts: BTreeMap<&str, i64> = BTreeMap::new();
    for l in old.lines() {
        *counts.entry(l).or_default() -= 1;
    }
    for l in new.lines() {
        *counts.entry(l).or_default() += 1;
    }
    let mut out = String::new();
    for (line, n) in counts {
        let sign = if n < 0 { "- " } else { "+ " };
        for _ in 0..n.abs() {
            out.push_str(sign);
            out.push_str(line);
            out.push('\n');
        }
    }
    if out.is_empty() {
        out.push_str("(same lines, other order or whitespace)\n");
    }
    out
}

/// The check `cargo xtask test` runs: one test per language in `langs` (others are skipped).
pub fn check(langs: &[&str]) -> Counts {
    let mut counts = Counts::default();
    for lang in LANGS.iter().filter(|l| langs.contains(l)) {
        match compare(lang) {
            Ok(None) => {
                log(format!("api: {lang}: the public API matches bindings/{lang}/api.txt"));
                counts.passed += 1;
            }
            Ok(Some(d)) => {
                log(format!(
                    "api: {lang}: the public API differs from bindings/{lang}/api.txt (- file, + sources):\n{d}\
                     [xtask] if the change is intended: cargo xtask api --bless (and commit bindings/{lang}/api.txt)"
                ));
                counts.failed += 1;
            }
            Err(e) => {
                log(format!("api: {lang}: ERROR {e}"));
                counts.failed += 1;
            }
        }
    }
    counts
}

/// `cargo xtask api [--bless] [--lang L]`.
pub fn run(args: &[String], only: Option<&str>) -> Result {
    let langs: Vec<&str> = LANGS.iter().copied().filter(|l| only.is_none_or(|o| o == *l)).collect();
    if langs.is_empty() {
        return Err(format!("no API dump for {only:?}; use one of {LANGS:?}"));
    }
    if args.iter().any(|a| a == "--bless") {
        for lang in langs {
            let text = dump(lang)?;
            let path = api_file(lang);
            std::fs::write(&path, &text).map_err(|e| format!("writing {}: {e}", path.display()))?;
            log(format!("api: wrote {} ({} declarations)", path.display(), text.lines().filter(|l| !l.starts_with('#')).count()));
        }
        return Ok(());
    }
    let c = check(&langs);
    println!("{} passed, {} failed", c.passed, c.failed);
    if c.failed == 0 { Ok(()) } else { Err("the public API changed (see above)".into()) }
}

// --- Shared scanning -----------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Lang {
    Kotlin,
    Swift,
    Python,
}

/// A source with comments blanked (`text` and `mask`) and string literals masked (`mask`:
/// their content is `x`, a newline inside one is `\u{1}`); both have one char per source char.
struct Masked {
    text: Vec<char>,
    mask: Vec<char>,
}

fn mask_source(src: &str, lang: Lang) -> Masked {
    let chars: Vec<char> = src.chars().collect();
    let mut m = Masked { text: chars.clone(), mask: chars.clone() };
    let mut i = 0;
    scan_code(&chars, &mut m, &mut i, None, lang);
    m
}

fn blank(m: &mut Masked, i: usize) {
    if m.text[i] != '\n' {
        m.text[i] = ' ';
        m.mask[i] = ' ';
    }
}

/// Scans code from `*i`; with `close`, stops after that closer at depth 0 (a string template).
fn scan_code(c: &[char], m: &mut Masked, i: &mut usize, close: Option<char>, lang: Lang) {
    let open = match close {
        Some('}') => Some('{'),
        Some(')') => Some('('),
        _ => None,
    };
    let mut depth = 0usize;
    while *i < c.len() {
        let ch = c[*i];
        let next = c.get(*i + 1).copied();
        let line_comment = if lang == Lang::Python { ch == '#' } else { ch == '/' && next == Some('/') };
        if line_comment {
            while *i < c.len() && c[*i] != '\n' {
                blank(m, *i);
                *i += 1;
            }
            continue;
        }
        if lang != Lang::Python && ch == '/' && next == Some('*') {
            let mut d = 0usize;
            while *i < c.len() {
                if c[*i] == '/' && c.get(*i + 1) == Some(&'*') {
                    d += 1;
                    blank(m, *i);
                    blank(m, *i + 1);
                    *i += 2;
                } else if c[*i] == '*' && c.get(*i + 1) == Some(&'/') {
                    blank(m, *i);
                    blank(m, *i + 1);
                    *i += 2;
                    d -= 1;
                    if d == 0 {
                        break;
                    }
                } else {
                    blank(m, *i);
                    *i += 1;
                }
            }
            continue;
        }
        let quote = ch == '"' || ((lang == Lang::Python || lang == Lang::Kotlin) && ch == '\'');
        if quote {
            let start = *i;
            if lang == Lang::Kotlin && ch == '\'' {
                // A char literal: 'x', '\n', '\u0000'.
                *i += 1;
                while *i < c.len() && c[*i] != '\'' && c[*i] != '\n' {
                    *i += if c[*i] == '\\' { 2 } else { 1 };
                }
                *i = (*i + 1).min(c.len());
            } else {
                scan_string(c, m, i, lang);
            }
            let end = i.saturating_sub(1).max(start + 1);
            for (k, &ch) in c.iter().enumerate().take(end).skip(start + 1) {
                m.mask[k] = if ch == '\n' { '\u{1}' } else { 'x' };
            }
            continue;
        }
        if close == Some(ch) && depth == 0 {
            *i += 1;
            return;
        }
        if open == Some(ch) {
            depth += 1;
        } else if close == Some(ch) {
            depth -= 1;
        }
        *i += 1;
    }
}

/// Scans a string literal starting at `*i` (its opening quote); leaves `*i` after its end.
fn scan_string(c: &[char], m: &mut Masked, i: &mut usize, lang: Lang) {
    let q = c[*i];
    let triple = c.get(*i + 1) == Some(&q) && c.get(*i + 2) == Some(&q);
    *i += if triple { 3 } else { 1 };
    while *i < c.len() {
        let ch = c[*i];
        if triple && ch == q && c.get(*i + 1) == Some(&q) && c.get(*i + 2) == Some(&q) {
            *i += 3;
            // Kotlin allows more quotes right before the closing three.
            while *i < c.len() && c[*i] == q {
                *i += 1;
            }
            return;
        }
        if !triple && ch == q {
            *i += 1;
            return;
        }
        if !triple && ch == '\n' {
            return; // unterminated: stop at the line's end
        }
        match lang {
            Lang::Kotlin if ch == '$' && c.get(*i + 1) == Some(&'{') => {
                *i += 2;
                scan_code(c, m, i, Some('}'), lang);
            }
            Lang::Kotlin if ch == '\\' && !triple => *i += 2,
            Lang::Swift if ch == '\\' && c.get(*i + 1) == Some(&'(') => {
                *i += 2;
                scan_code(c, m, i, Some(')'), lang);
            }
            Lang::Swift | Lang::Python if ch == '\\' => *i += 2,
            _ => *i += 1,
        }
    }
}

/// A logical line: physical lines joined while brackets are open; `text` and `mask` as in
/// [`Masked`], newlines turned into spaces.
struct Logical {
    text: Vec<char>,
    mask: Vec<char>,
    /// Columns of leading whitespace of its first physical line.
    indent: usize,
}

fn logical_lines(m: &Masked, lang: Lang) -> Vec<Logical> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut depth: i64 = 0;
    for i in 0..=m.mask.len() {
        let end = i == m.mask.len();
        if !end {
            match m.mask[i] {
                '(' | '[' => depth += 1,
                ')' | ']' => depth -= 1,
                '{' if lang == Lang::Python => depth += 1,
                '}' if lang == Lang::Python => depth -= 1,
                _ => {}
            }
        }
        let continued = lang == Lang::Python && i > 0 && m.mask.get(i.wrapping_sub(1)) == Some(&'\\');
        if end || (m.mask[i] == '\n' && depth <= 0 && !continued) {
            let text: Vec<char> = m.text[start..i].iter().map(|&c| if c == '\n' { ' ' } else { c }).collect();
            let mask: Vec<char> = m.mask[start..i].iter().map(|&c| if c == '\n' || c == '\u{1}' { ' ' } else { c }).collect();
            let indent = mask.iter().take_while(|c| **c == ' ' || **c == '\t').count();
            if mask.iter().any(|c| !c.is_whitespace()) {
                out.push(Logical { text, mask, indent });
            }
            start = i + 1;
            depth = 0;
        }
    }
    out
}

/// Collapses whitespace, and drops it inside brackets' edges and before commas.
fn norm(s: &str) -> String {
    let collapsed = s.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out = String::with_capacity(collapsed.len());
    let chars: Vec<char> = collapsed.chars().collect();
    for (k, &c) in chars.iter().enumerate() {
        if c == ' ' {
            let prev = out.chars().last();
            let next = chars.get(k + 1).copied();
            if matches!(prev, Some('(') | Some('[')) || matches!(next, Some(')') | Some(']') | Some(',')) {
                continue;
            }
        }
        out.push(c);
    }
    // A trailing comma inside a list (`(a, b,)`) is layout, not API.
    out.replace(",)", ")").replace(",]", "]")
}

/// A cursor over a logical line: structure read from `m`, text taken from `t`.
struct Cur<'a> {
    m: &'a [char],
    t: &'a [char],
    i: usize,
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '`'
}

impl<'a> Cur<'a> {
    fn new(l: &'a Logical) -> Self {
        Cur { m: &l.mask, t: &l.text, i: 0 }
    }

    fn ws(&mut self) {
        while self.i < self.m.len() && self.m[self.i].is_whitespace() {
            self.i += 1;
        }
    }

    fn peek(&self) -> Option<char> {
        self.m.get(self.i).copied()
    }

    /// The identifier here (after whitespace), if any, without consuming it.
    fn peek_ident(&self) -> Option<String> {
        let mut j = self.i;
        while j < self.m.len() && self.m[j].is_whitespace() {
            j += 1;
        }
        let s: String = self.m[j..].iter().take_while(|c| is_ident_char(**c)).collect();
        if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) { None } else { Some(s) }
    }

    fn ident(&mut self) -> Option<String> {
        self.ws();
        let s: String = self.t[self.i..].iter().take_while(|c| is_ident_char(**c)).collect();
        if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
            return None;
        }
        self.i += s.chars().count();
        Some(s)
    }

    fn text(&self, a: usize, b: usize) -> String {
        let b = b.min(self.t.len());
        self.t[a.min(b)..b].iter().collect()
    }

    /// At an opener (`(`, `[`, `<`): the index after its closer (the line's end if none).
    fn group_end(&self, from: usize) -> usize {
        let (open, close) = match self.m.get(from) {
            Some('(') => ('(', ')'),
            Some('[') => ('[', ']'),
            Some('<') => ('<', '>'),
            Some('{') => ('{', '}'),
            _ => return from,
        };
        let mut depth = 0usize;
        let mut j = from;
        while j < self.m.len() {
            let c = self.m[j];
            let arrow = c == '>' && j > 0 && self.m[j - 1] == '-';
            if c == open {
                depth += 1;
            } else if c == close && !arrow {
                depth -= 1;
                if depth == 0 {
                    return j + 1;
                }
            }
            j += 1;
        }
        self.m.len()
    }

    /// Skips the group at the cursor; returns the text inside it.
    fn group(&mut self) -> String {
        let end = self.group_end(self.i);
        let inner = self.text(self.i + 1, end.saturating_sub(1));
        self.i = end;
        inner
    }

    /// Skips `@Annotation`, `@file:Name(args)`, `@a.b.C(args)`; returns their names.
    fn annotations(&mut self) -> Vec<String> {
        let mut names = Vec::new();
        loop {
            self.ws();
            if self.peek() != Some('@') {
                return names;
            }
            self.i += 1;
            let start = self.i;
            while self.i < self.m.len() && (is_ident_char(self.m[self.i]) || self.m[self.i] == '.' || self.m[self.i] == ':') {
                self.i += 1;
            }
            names.push(self.text(start, self.i));
            if self.peek() == Some('(') {
                self.i = self.group_end(self.i);
            }
        }
    }

    /// From the cursor to the first of `stops` at bracket depth 0, or a stop word; the text and
    /// where it stopped (the cursor moves there).
    fn until(&mut self, stops: &[char], stop_words: &[&str]) -> String {
        let start = self.i;
        let mut depth = 0i64;
        while self.i < self.m.len() {
            let c = self.m[self.i];
            let arrow = c == '>' && self.i > 0 && self.m[self.i - 1] == '-';
            if depth == 0 && stops.contains(&c) && !(c == '=' && self.m.get(self.i + 1) == Some(&'=')) {
                break;
            }
            if depth == 0 && is_ident_char(c) && (self.i == 0 || !is_ident_char(self.m[self.i - 1])) {
                let w: String = self.m[self.i..].iter().take_while(|c| is_ident_char(**c)).collect();
                if stop_words.contains(&w.as_str()) {
                    break;
                }
            }
            match c {
                '(' | '[' | '<' | '{' => depth += 1,
                ')' | ']' | '}' => depth -= 1,
                '>' if !arrow => depth -= 1,
                _ => {}
            }
            self.i += 1;
        }
        self.text(start, self.i)
    }
}

/// Splits `s` (text) at depth-0 `sep`, using the same-length `mask` for structure.
fn split_top(text: &[char], mask: &[char], sep: char) -> Vec<(Vec<char>, Vec<char>)> {
    let mut out = Vec::new();
    let mut depth = 0i64;
    let mut start = 0;
    for (j, &c) in mask.iter().enumerate() {
        let arrow = c == '>' && j > 0 && mask[j - 1] == '-';
        match c {
            '(' | '[' | '<' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            '>' if !arrow => depth -= 1,
            _ if c == sep && depth == 0 => {
                out.push((text[start..j].to_vec(), mask[start..j].to_vec()));
                start = j + 1;
            }
            _ => {}
        }
    }
    out.push((text[start..].to_vec(), mask[start..].to_vec()));
    out.into_iter().filter(|(_, m)| m.iter().any(|c| !c.is_whitespace())).collect()
}

/// A parameter list's text, split at top-level commas, each as a small logical line.
fn params_of(cur: &Cur, open: usize) -> Vec<Logical> {
    let end = cur.group_end(open);
    let t = &cur.t[open + 1..end.saturating_sub(1).max(open + 1)];
    let m = &cur.m[open + 1..end.saturating_sub(1).max(open + 1)];
    split_top(t, m, ',').into_iter().map(|(text, mask)| Logical { text, mask, indent: 0 }).collect()
}

fn qualify(prefix: &str, name: &str) -> String {
    if prefix.is_empty() { name.to_string() } else { format!("{prefix}.{name}") }
}

/// Nesting while walking a file: containers whose members are declarations, and code.
enum Frame {
    Container { qual: String, visible: bool, default_public: bool, kind: &'static str, entries_open: bool },
    Code,
}

/// What a declaration line gives: its rendered lines (when public) and the container it opens.
struct Decl {
    public: bool,
    lines: Vec<String>,
    /// The container its body brace opens: qualified name, kind, whether members default to public.
    opens: Option<(String, &'static str, bool)>,
}

/// Walks the logical lines of one file, calling `decl` for each line directly inside a
/// container (or at the top level) and tracking nesting by braces.
fn walk(
    lines: &[Logical],
    top: &str,
    mut decl: impl FnMut(&Logical, &str, &Frame) -> Option<Decl>,
    mut entries: impl FnMut(&Logical, &str) -> Option<(Vec<String>, bool)>,
) -> Vec<String> {
    let mut out = Vec::new();
    let root_frame = Frame::Container { qual: top.to_string(), visible: true, default_public: false, kind: "file", entries_open: false };
    let mut stack: Vec<Frame> = vec![root_frame];
    for line in lines {
        let in_code = stack.iter().any(|f| matches!(f, Frame::Code));
        let mut opens = None;
        let mut body_brace = None;
        if !in_code {
            let parent = stack.last().expect("the file frame");
            let (qual, visible, kind, entries_open) = match parent {
                Frame::Container { qual, visible, kind, entries_open, .. } => (qual.clone(), *visible, *kind, *entries_open),
                Frame::Code => unreachable!(),
            };
            let mut handled = false;
            if kind == "enum" && entries_open {
                if let Some((names, still_open)) = entries(line, &qual) {
                    if visible {
                        out.extend(names);
                    }
                    handled = true;
                    if let Some(Frame::Container { entries_open, .. }) = stack.last_mut() {
                        *entries_open = still_open;
                    }
                } else if let Some(Frame::Container { entries_open, .. }) = stack.last_mut() {
                    *entries_open = false;
                }
            }
            if !handled && let Some(d) = decl(line, &qual, stack.last().expect("a frame")) {
                if d.public && visible {
                    out.extend(d.lines);
                }
                if let Some((q, k, default_public)) = d.opens {
                    opens = Some(Frame::Container {
                        qual: q,
                        visible: d.public && visible,
                        default_public,
                        kind: k,
                        entries_open: k == "enum",
                    });
                    let cur = Cur::new(line);
                    let mut depth = 0i64;
                    body_brace = (0..line.mask.len()).find(|&j| {
                        match cur.m[j] {
                            '(' | '[' => depth += 1,
                            ')' | ']' => depth -= 1,
                            _ => {}
                        }
                        cur.m[j] == '{' && depth == 0
                    });
                }
            }
        }
        for (j, &c) in line.mask.iter().enumerate() {
            if c == '{' {
                if Some(j) == body_brace
                    && let Some(f) = opens.take()
                {
                    stack.push(f);
                } else {
                    stack.push(Frame::Code);
                }
            } else if c == '}' && stack.len() > 1 {
                stack.pop();
            }
        }
    }
    out
}

fn source_files(dir: &Path, ext: &str, recurse: bool, out: &mut Vec<PathBuf>) -> Result {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("reading {}: {e}", dir.display()))?;
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            if recurse {
                source_files(&p, ext, recurse, out)?;
            }
        } else if p.extension().is_some_and(|x| x == ext) {
            out.push(p);
        }
    }
    Ok(())
}

fn read(p: &Path) -> Result<String> {
    std::fs::read_to_string(p).map_err(|e| format!("reading {}: {e}", p.display()))
}

// --- Kotlin --------------------------------------------------------------------------------

const KOTLIN_MODIFIERS: [&str; 27] = [
    "public",
    "private",
    "internal",
    "protected",
    "open",
    "final",
    "abstract",
    "sealed",
    "data",
    "enum",
    "annotation",
    "inner",
    "value",
    "companion",
    "override",
    "const",
    "lateinit",
    "inline",
    "suspend",
    "operator",
    "infix",
    "tailrec",
    "external",
    "expect",
    "actual",
    "crossinline",
    "noinline",
];

fn kotlin_api(dir: &Path) -> Result<Vec<String>> {
    let mut files = Vec::new();
    source_files(dir, "kt", true, &mut files)?;
    let mut out = Vec::new();
    for f in files {
        out.extend(kotlin_file(&read(&f)?));
    }
    out.sort();
    Ok(out)
}

fn kotlin_file(src: &str) -> Vec<String> {
    let masked = mask_source(src, Lang::Kotlin);
    let lines = logical_lines(&masked, Lang::Kotlin);
    let package = lines
        .iter()
        .find_map(|l| {
            let s: String = l.text.iter().collect();
            s.trim().strip_prefix("package ").map(|p| p.trim().to_string())
        })
        .unwrap_or_default();
    walk(&lines, &package, kotlin_decl, kotlin_entries)
}

/// Enum entries (`A,` `B("b"),` `C;`): their names, and whether more may follow.
fn kotlin_entries(line: &Logical, qual: &str) -> Option<(Vec<String>, bool)> {
    let mut cur = Cur::new(line);
    cur.annotations();
    cur.ws();
    if cur.peek() == Some(';') {
        return Some((vec![], false));
    }
    let first = cur.peek_ident()?;
    if KOTLIN_MODIFIERS.contains(&first.as_str())
        || ["fun", "val", "var", "class", "object", "interface", "typealias", "constructor", "init"].contains(&first.as_str())
    {
        return None;
    }
    let semi = {
        let mut depth = 0i64;
        line.mask.iter().position(|&c| {
            match c {
                '(' | '{' | '[' => depth += 1,
                ')' | '}' | ']' => depth -= 1,
                _ => {}
            }
            c == ';' && depth == 0
        })
    };
    let upto = semi.unwrap_or(line.mask.len());
    let names = split_top(&line.text[..upto], &line.mask[..upto], ',')
        .into_iter()
        .filter_map(|(t, _)| {
            let s: String = t.iter().collect();
            let name: String = s.trim().chars().take_while(|c| is_ident_char(*c)).collect();
            (!name.is_empty()).then(|| format!("enum entry {}", qualify(qual, &name)))
        })
        .collect();
    Some((names, semi.is_none()))
}

struct KParam {
    rendered: String,
    name: String,
    ty: String,
    property: Option<(bool, String)>, // (public, "val"/"var" with modifiers)
}

fn kotlin_param(p: &Logical) -> KParam {
    let mut cur = Cur::new(p);
    cur.annotations();
    let mut mods = Vec::new();
    let mut binding = None;
    while let Some(w) = cur.peek_ident() {
        if ["vararg", "private", "internal", "protected", "public", "override", "crossinline", "noinline", "open", "final"]
            .contains(&w.as_str())
        {
            mods.push(w);
            cur.ident();
        } else if w == "val" || w == "var" {
            binding = Some(w);
            cur.ident();
        } else {
            break;
        }
        cur.annotations();
    }
    let name = cur.ident().unwrap_or_default();
    cur.ws();
    let mut ty = String::new();
    let mut default = String::new();
    if cur.peek() == Some(':') {
        cur.i += 1;
        ty = norm(&cur.until(&['='], &[]));
        if cur.peek() == Some('=') {
            default = norm(&cur.text(cur.i + 1, cur.m.len()));
        }
    }
    let vararg = if mods.iter().any(|m| m == "vararg") { "vararg " } else { "" };
    let rendered = format!("{vararg}{name}: {ty}{}", if default.is_empty() { String::new() } else { format!(" = {default}") });
    let property = binding.map(|b| {
        let public = !mods.iter().any(|m| m == "private" || m == "internal");
        let extra: Vec<&str> = mods.iter().map(String::as_str).filter(|m| ["override", "open", "protected"].contains(m)).collect();
        (public, if extra.is_empty() { b } else { format!("{} {b}", extra.join(" ")) })
    });
    KParam { rendered, name, ty, property }
}

fn kotlin_decl(line: &Logical, parent: &str, frame: &Frame) -> Option<Decl> {
    let mut cur = Cur::new(line);
    if cur.annotations().iter().any(|a| a.starts_with("file:")) {
        return None;
    }
    let mut mods: Vec<String> = Vec::new();
    let kind = loop {
        let w = cur.peek_ident()?;
        cur.ident();
        if w == "fun" && cur.peek_ident().as_deref() == Some("interface") {
            mods.push(w);
            continue;
        }
        if KOTLIN_MODIFIERS.contains(&w.as_str()) {
            mods.push(w);
            cur.annotations();
            continue;
        }
        if ["fun", "val", "var", "class", "object", "interface", "typealias", "constructor"].contains(&w.as_str()) {
            break w;
        }
        return None;
    };
    let public = !mods.iter().any(|m| m == "private" || m == "internal");
    let shown: Vec<&str> = mods.iter().map(String::as_str).filter(|m| *m != "public").collect();
    let prefix = if shown.is_empty() { kind.clone() } else { format!("{} {kind}", shown.join(" ")) };
    let parent_kind = match frame {
        Frame::Container { kind, .. } => *kind,
        Frame::Code => "code",
    };
    let mut lines = Vec::new();
    let mut opens = None;
    match kind.as_str() {
        "class" | "interface" | "object" => {
            let name = match cur.peek_ident() {
                Some(_) => cur.ident().unwrap_or_default(),
                None if mods.iter().any(|m| m == "companion") => "Companion".to_string(),
                None => return None, // an object expression
            };
            let qual = qualify(parent, &name);
            cur.ws();
            let tparams = if cur.peek() == Some('<') {
                let a = cur.i;
                cur.i = cur.group_end(cur.i);
                norm(&cur.text(a, cur.i))
            } else {
                String::new()
            };
            cur.annotations();
            let mut ctor_public = true;
            while let Some(w) = cur.peek_ident() {
                if ["private", "internal", "protected", "public"].contains(&w.as_str()) {
                    ctor_public &= w != "private" && w != "internal";
                    cur.ident();
                } else if w == "constructor" {
                    cur.ident();
                    break;
                } else {
                    break;
                }
                cur.annotations();
            }
            cur.ws();
            let params = if cur.peek() == Some('(') {
                let ps: Vec<KParam> = params_of(&cur, cur.i).iter().map(kotlin_param).collect();
                cur.i = cur.group_end(cur.i);
                Some(ps)
            } else {
                None
            };
            cur.ws();
            let mut supers = String::new();
            if cur.peek() == Some(':') {
                cur.i += 1;
                let a = cur.i;
                cur.until(&['{'], &["where"]);
                let t: Vec<char> = cur.t[a..cur.i].to_vec();
                let m: Vec<char> = cur.m[a..cur.i].to_vec();
                let list: Vec<String> = split_top(&t, &m, ',')
                    .into_iter()
                    .map(|(t, m)| {
                        // `Exception(message, cause)` -> `Exception`; `Foo by bar` -> `Foo`.
                        let cut = m.iter().position(|c| *c == '(').unwrap_or(m.len());
                        let s: String = t[..cut].iter().collect();
                        norm(s.split(" by ").next().unwrap_or_default())
                    })
                    .collect();
                supers = format!(" : {}", list.join(", "));
            }
            lines.push(format!("{prefix} {qual}{tparams}{supers}"));
            if let Some(ps) = params {
                let is_enum = mods.iter().any(|m| m == "enum");
                if kind == "class" && !is_enum && ctor_public {
                    let rendered: Vec<&str> = ps.iter().map(|p| p.rendered.as_str()).collect();
                    lines.push(format!("constructor {qual}({})", rendered.join(", ")));
                }
                for p in &ps {
                    if let Some((true, b)) = &p.property {
                        lines.push(format!("{b} {}: {}", qualify(&qual, &p.name), p.ty));
                    }
                }
            }
            let k = if mods.iter().any(|m| m == "enum") { "enum" } else { "class" };
            opens = Some((qual, k, true));
        }
        "constructor" => {
            cur.ws();
            if cur.peek() != Some('(') || parent_kind == "file" {
                return None;
            }
            let ps: Vec<String> = params_of(&cur, cur.i).iter().map(|p| kotlin_param(p).rendered).collect();
            let shown = prefix.trim_end_matches("constructor").trim();
            let mods = if shown.is_empty() { String::new() } else { format!("{shown} ") };
            lines.push(format!("{mods}constructor {parent}({})", ps.join(", ")));
        }
        "typealias" => {
            let rest = cur.text(cur.i, cur.t.len());
            let (name, target) = rest.split_once('=').unwrap_or((&rest, ""));
            lines.push(format!("{prefix} {} = {}", qualify(parent, &norm(name)), norm(target)));
        }
        "fun" | "val" | "var" => {
            cur.ws();
            let tparams = if cur.peek() == Some('<') {
                let a = cur.i;
                cur.i = cur.group_end(cur.i);
                format!("{} ", norm(&cur.text(a, cur.i)))
            } else {
                String::new()
            };
            // `Receiver.name` or `name`: the last dot-separated part is the name.
            let stops: &[char] = if kind == "fun" { &['('] } else { &[':', '=', '{'] };
            let head = norm(&cur.until(stops, &["by", "get", "set"]));
            let (receiver, name) = match head.rfind('.') {
                Some(dot) => (format!("({}).", &head[..dot]), head[dot + 1..].to_string()),
                None => (String::new(), head.clone()),
            };
            if name.is_empty() {
                return None;
            }
            let qual = format!("{}{receiver}{name}", if parent.is_empty() { String::new() } else { format!("{parent}.") });
            if kind == "fun" {
                let ps: Vec<String> = params_of(&cur, cur.i).iter().map(|p| kotlin_param(p).rendered).collect();
                cur.i = cur.group_end(cur.i);
                cur.ws();
                let ret = if cur.peek() == Some(':') {
                    cur.i += 1;
                    format!(": {}", norm(&cur.until(&['=', '{'], &["where"])))
                } else {
                    String::new()
                };
                let wher = if cur.peek_ident().as_deref() == Some("where") {
                    format!(" {}", norm(&cur.until(&['=', '{'], &[])))
                } else {
                    String::new()
                };
                lines.push(format!("{prefix} {tparams}{qual}({}){ret}{wher}", ps.join(", ")));
            } else {
                cur.ws();
                let mut ty = String::new();
                if cur.peek() == Some(':') {
                    cur.i += 1;
                    ty = norm(&cur.until(&['=', '{'], &["by", "get", "set", "private", "internal", "protected", "public"]));
                }
                let init = if cur.peek() == Some('=') { norm(&cur.text(cur.i + 1, cur.t.len())) } else { String::new() };
                let shown = if ty.is_empty() {
                    format!(" = {init}")
                } else if mods.iter().any(|m| m == "const") {
                    format!(": {ty} = {init}")
                } else {
                    format!(": {ty}")
                };
                lines.push(format!("{prefix} {tparams}{qual}{}", if ty.is_empty() && init.is_empty() { String::new() } else { shown }));
            }
        }
        _ => return None,
    }
    Some(Decl { public, lines, opens })
}

// --- Swift ---------------------------------------------------------------------------------

const SWIFT_MODIFIERS: [&str; 22] = [
    "public",
    "open",
    "internal",
    "private",
    "fileprivate",
    "package",
    "static",
    "final",
    "override",
    "mutating",
    "nonmutating",
    "convenience",
    "required",
    "lazy",
    "weak",
    "unowned",
    "dynamic",
    "optional",
    "indirect",
    "nonisolated",
    "distributed",
    "prefix",
];

const SWIFT_KINDS: [&str; 14] =
    ["func", "init", "deinit", "subscript", "var", "let", "class", "struct", "enum", "protocol", "extension", "typealias", "case", "actor"];

fn swift_api(dir: &Path) -> Result<Vec<String>> {
    let mut files = Vec::new();
    source_files(dir, "swift", false, &mut files)?;
    let mut out = Vec::new();
    for f in files.iter().filter(|f| f.file_name().is_some_and(|n| n != "HmacSig.swift")) {
        out.extend(swift_file(&read(f)?));
    }
    out.sort();
    Ok(out)
}

fn swift_file(src: &str) -> Vec<String> {
    let masked = mask_source(src, Lang::Swift);
    let lines = logical_lines(&masked, Lang::Swift);
    walk(&lines, "", swift_decl, |_, _| None)
}

/// `label name: Type = default` -> `label: Type = default` (argument labels are the API).
fn swift_param(p: &Logical) -> String {
    let colon = {
        let mut depth = 0i64;
        p.mask.iter().position(|&c| {
            match c {
                '(' | '[' | '<' => depth += 1,
                ')' | ']' | '>' => depth -= 1,
                _ => {}
            }
            c == ':' && depth == 0
        })
    };
    let Some(colon) = colon else { return norm(&p.text.iter().collect::<String>()) };
    let names: String = p.text[..colon].iter().collect();
    let label = names.split_whitespace().next().unwrap_or_default().to_string();
    let rest: String = p.text[colon + 1..].iter().collect();
    format!("{label}: {}", norm(&rest))
}

fn swift_decl(line: &Logical, parent: &str, frame: &Frame) -> Option<Decl> {
    let mut cur = Cur::new(line);
    cur.ws();
    if cur.peek() == Some('#') {
        return None;
    }
    cur.annotations();
    let mut mods: Vec<String> = Vec::new();
    let kind = loop {
        let w = cur.peek_ident()?;
        cur.ident();
        // `private(set)`, `public(set)`: the setter's access, not the declaration's.
        if cur.peek() == Some('(') && ["public", "open", "internal", "private", "fileprivate", "package"].contains(&w.as_str()) {
            let inner = cur.group();
            mods.push(format!("{w}({})", inner.trim()));
            continue;
        }
        if w == "class" && matches!(cur.peek_ident().as_deref(), Some("func" | "var" | "let" | "subscript" | "override" | "final")) {
            mods.push(w);
            continue;
        }
        if SWIFT_MODIFIERS.contains(&w.as_str()) {
            mods.push(w);
            cur.annotations();
            continue;
        }
        if SWIFT_KINDS.contains(&w.as_str()) {
            break w;
        }
        return None;
    };
    let (parent_visible_default, parent_kind) = match frame {
        Frame::Container { default_public, kind, .. } => (*default_public, *kind),
        Frame::Code => (false, "code"),
    };
    let access = mods.iter().find(|m| ["public", "open", "internal", "private", "fileprivate", "package"].contains(&m.as_str()));
    let public = match access {
        Some(a) => a == "public" || a == "open",
        None => parent_visible_default || (kind == "case" && parent_kind == "enum"),
    };
    let shown: Vec<&str> = mods.iter().map(String::as_str).filter(|m| *m != "public").collect();
    let prefix = if shown.is_empty() { kind.clone() } else { format!("{} {kind}", shown.join(" ")) };
    let mut lines = Vec::new();
    let mut opens = None;
    match kind.as_str() {
        "extension" => {
            let target = norm(&cur.until(&[':', '{'], &["where"]));
            let mut conformances = String::new();
            if cur.peek() == Some(':') {
                cur.i += 1;
                conformances = norm(&cur.until(&['{'], &[]));
            }
            if !conformances.is_empty() {
                lines.push(format!("extension {target}: {conformances}"));
            }
            let qual = target.split('<').next().unwrap_or_default().to_string();
            // The extension itself is no declaration: its members decide. A `public extension`
            // makes them public by default.
            return Some(Decl { public: true, lines, opens: Some((qual, "extension", access.is_some_and(|a| a == "public"))) });
        }
        "class" | "struct" | "enum" | "protocol" | "actor" => {
            let name = cur.ident()?;
            let qual = qualify(parent, &name);
            let rest = norm(&cur.until(&['{'], &[]));
            let sep = if rest.starts_with(':') || rest.starts_with('<') || rest.is_empty() { "" } else { " " };
            lines.push(format!("{prefix} {qual}{sep}{rest}"));
            let k: &'static str = match kind.as_str() {
                "enum" => "enum",
                "protocol" => "protocol",
                _ => "class",
            };
            opens = Some((qual, k, k == "protocol"));
        }
        "func" | "init" | "subscript" => {
            cur.ws();
            let name = if kind == "func" {
                norm(&cur.until(&['(', '<'], &[]))
            } else {
                // `init?`, `init!`
                let a = cur.i;
                while matches!(cur.peek(), Some('?' | '!')) {
                    cur.i += 1;
                }
                cur.text(a, cur.i)
            };
            cur.ws();
            let generics = if cur.peek() == Some('<') {
                let a = cur.i;
                cur.i = cur.group_end(cur.i);
                norm(&cur.text(a, cur.i))
            } else {
                String::new()
            };
            cur.ws();
            if cur.peek() != Some('(') {
                return None;
            }
            let ps: Vec<String> = params_of(&cur, cur.i).iter().map(swift_param).collect();
            cur.i = cur.group_end(cur.i);
            let rest = norm(&cur.until(&['{'], &[]));
            let rest = if rest.is_empty() { String::new() } else { format!(" {rest}") };
            let qual = match kind.as_str() {
                "func" => qualify(parent, &name),
                _ => qualify(parent, &format!("{kind}{name}")),
            };
            let shown = if kind == "func" { prefix.clone() } else { prefix.trim_end_matches(kind.as_str()).trim().to_string() };
            let shown = if shown.is_empty() { String::new() } else { format!("{shown} ") };
            lines.push(format!("{shown}{qual}{generics}({}){rest}", ps.join(", ")));
        }
        "var" | "let" => {
            let name = cur.ident()?;
            cur.ws();
            let mut ty = String::new();
            if cur.peek() == Some(':') {
                cur.i += 1;
                ty = norm(&cur.until(&['=', '{'], &[]));
            }
            let mut tail = String::new();
            if cur.peek() == Some('=') && ty.is_empty() {
                tail = format!(" = {}", norm(&cur.until(&['{'], &[])[1..]));
            } else if cur.peek() == Some('{') && cur.m.last() == Some(&'}') {
                let body = cur.group();
                let words: Vec<&str> = body.split_whitespace().collect();
                if !words.is_empty() && words.iter().all(|w| ["get", "set", "mutating", "nonmutating", "async", "throws"].contains(w)) {
                    tail = format!(" {{ {} }}", words.join(" "));
                }
            }
            let ty = if ty.is_empty() { String::new() } else { format!(": {ty}") };
            lines.push(format!("{prefix} {}{ty}{tail}", qualify(parent, &name)));
        }
        "typealias" => {
            let rest = norm(&cur.text(cur.i, cur.t.len()));
            let (name, target) = rest.split_once('=').unwrap_or((&rest, ""));
            lines.push(format!("{prefix} {} = {}", qualify(parent, name.trim()), target.trim()));
        }
        "case" => {
            if parent_kind != "enum" {
                return None;
            }
            let a = cur.i;
            let t = cur.t[a..].to_vec();
            let m = cur.m[a..].to_vec();
            for (t, _) in split_top(&t, &m, ',') {
                let s: String = t.iter().collect();
                lines.push(format!("case {}", qualify(parent, &norm(&s))));
            }
        }
        _ => return None,
    }
    Some(Decl { public, lines, opens })
}

// --- Python --------------------------------------------------------------------------------

/// The public modules and their files under the package directory.
pub const PYTHON_MODULES: [(&str, &str); 5] = [
    ("hmacsig", "__init__.py"),
    ("hmacsig.requests", "requests.py"),
    ("hmacsig.httpx", "httpx.py"),
    ("hmacsig.asgi", "asgi.py"),
    ("hmacsig.wsgi", "wsgi.py"),
];

/// One parsed Python module: what it defines at the top level, and what it imports.
#[derive(Default)]
struct PyModule {
    all: Vec<String>,
    classes: BTreeMap<String, PyClass>,
    /// name -> (decorators, signature)
    functions: BTreeMap<String, (String, String)>,
    constants: BTreeMap<String, String>,
    /// name -> (module, original name): `from .x import a as name` gives ("_x" or "" for the package, "a").
    imports: BTreeMap<String, (String, String)>,
}

#[derive(Default, Clone)]
struct PyClass {
    header: String,
    bases: Vec<String>,
    /// Public methods and attributes (rendered without the class prefix), by name.
    members: BTreeMap<String, String>,
}

fn py_def(line: &Logical) -> Option<(String, String)> {
    let s: String = line.text.iter().collect();
    let s = s.trim();
    let s = s.strip_prefix("async ").map(|r| r.trim_start()).unwrap_or(s);
    let rest = s.strip_prefix("def ")?;
    let name: String = rest.chars().take_while(|c| is_ident_char(*c)).collect();
    // The signature: up to the `:` that ends the header (a trailing one).
    let sig = rest[name.len()..].trim_end();
    let sig = sig.strip_suffix(':').unwrap_or(sig);
    // `def f(...) -> X: ...` on one line (a stub): cut the body.
    let sig = match sig.find("): ") {
        Some(k) if !sig[..k].contains("->") && sig[k..].contains(": ...") => &sig[..k + 1],
        _ => sig,
    };
    let sig = sig.strip_suffix(": ...").unwrap_or(sig);
    Some((name.clone(), norm(sig)))
}

fn parse_python(src: &str) -> PyModule {
    let masked = mask_source(src, Lang::Python);
    let lines = logical_lines(&masked, Lang::Python);
    let mut module = PyModule::default();
    let mut class: Option<(String, usize)> = None; // open class and its body indent
    let mut decorators: Vec<String> = Vec::new();
    let mut in_def = false; // inside a top-level def: nothing in it counts
    for line in &lines {
        let text: String = line.text.iter().collect();
        let t = text.trim();
        if let Some((name, body)) = class.clone() {
            if line.indent > 0 && (body == 0 || line.indent >= body) {
                let body = if body == 0 { line.indent } else { body };
                class = Some((name.clone(), body));
                if line.indent == body {
                    if let Some(d) = t.strip_prefix('@') {
                        decorators.push(format!("@{}", norm(d)));
                        continue;
                    }
                    let c = module.classes.get_mut(&name).expect("the open class");
                    if let Some((m, sig)) = py_def(line) {
                        if !m.starts_with('_') || m == "__init__" {
                            let decos = if decorators.is_empty() { String::new() } else { format!("{} ", decorators.join(" ")) };
                            c.members.insert(m.clone(), format!("{decos}def {{}}.{m}{sig}"));
                        }
                    } else if !t.starts_with('_') && !t.starts_with("class ") && !t.starts_with('"') && !t.starts_with('\'') {
                        let n: String = t.chars().take_while(|c| is_ident_char(*c)).collect();
                        let after = t[n.len()..].trim_start();
                        if !n.is_empty() && ((after.starts_with('=') && !after.starts_with("==")) || after.starts_with(':')) {
                            let ann = after.strip_prefix(':').map(|a| a.split('=').next().unwrap_or_default().trim());
                            let shown = ann.map(|a| format!(": {}", norm(a))).unwrap_or_default();
                            c.members.entry(n.clone()).or_insert(format!("attr {{}}.{n}{shown}"));
                        }
                    }
                    decorators.clear();
                }
                continue;
            }
            class = None;
        }
        if line.indent == 0 {
            in_def = false;
        } else if in_def {
            continue;
        }
        // Imports count at any indent outside defs and classes (`try:` / `if TYPE_CHECKING:` ... `else:`).
        if let Some(rest) = t.strip_prefix("from ") {
            let (from, names) = rest.split_once(" import ").unwrap_or((rest, ""));
            let from = from.trim();
            if let Some(rel) = from.strip_prefix('.') {
                let names = names.trim().trim_start_matches('(').trim_end_matches(')');
                for item in names.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    let (orig, alias) = item.split_once(" as ").map(|(a, b)| (a.trim(), b.trim())).unwrap_or((item, item));
                    module.imports.entry(alias.to_string()).or_insert((rel.to_string(), orig.to_string()));
                }
            }
            continue;
        }
        if line.indent != 0 {
            continue;
        }
        if let Some(d) = t.strip_prefix('@') {
            decorators.push(format!("@{}", norm(d)));
            continue;
        }
        if let Some(rest) = t.strip_prefix("class ") {
            let name: String = rest.chars().take_while(|c| is_ident_char(*c)).collect();
            let after = rest[name.len()..].trim_end().trim_end_matches(':');
            let bases_text = after.trim().strip_prefix('(').and_then(|b| b.strip_suffix(')')).unwrap_or_default();
            let bases = bases_text
                .split(',')
                .map(|b| b.trim().split('[').next().unwrap_or_default().to_string())
                .filter(|b| !b.is_empty() && !b.contains('='))
                .collect();
            module.classes.insert(name.clone(), PyClass { header: norm(after), bases, members: BTreeMap::new() });
            class = Some((name, 0));
            decorators.clear();
            continue;
        }
        if let Some((name, sig)) = py_def(line) {
            let decos = if decorators.is_empty() { String::new() } else { format!("{} ", decorators.join(" ")) };
            module.functions.insert(name, (decos, sig));
            decorators.clear();
            in_def = true;
            continue;
        }
        decorators.clear();
        let n: String = t.chars().take_while(|c| is_ident_char(*c)).collect();
        let after = t[n.len()..].trim_start();
        if n == "__all__" {
            module.all =
                t.split(['"', '\'']).enumerate().filter(|(k, s)| k % 2 == 1 && !s.is_empty()).map(|(_, s)| s.to_string()).collect();
        } else if !n.is_empty() && ((after.starts_with('=') && !after.starts_with("==")) || after.starts_with(':')) {
            let value = after.split_once('=').map(|(_, v)| norm(v)).unwrap_or_default();
            module.constants.entry(n).or_insert(value);
        }
        // Other blocks (`if TYPE_CHECKING:`, `try:`): only their imports count (above).
    }
    module
}

/// What a name resolves to.
enum PyItem {
    Class(PyClass, String),
    Function(String, String),
    Constant(String),
    Generated,
    Unknown,
}

struct PyPackage {
    modules: BTreeMap<String, PyModule>, // by file stem: "__init__", "_signer", ...
}

impl PyPackage {
    fn load(dir: &Path) -> Result<Self> {
        let mut files = Vec::new();
        source_files(dir, "py", false, &mut files)?;
        let mut modules = BTreeMap::new();
        for f in files {
            let stem = f.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_string();
            modules.insert(stem, parse_python(&read(&f)?));
        }
        Ok(PyPackage { modules })
    }

    /// `name` as seen in module `stem`, followed through relative imports.
    fn resolve(&self, stem: &str, name: &str, depth: usize) -> PyItem {
        if depth > 10 {
            return PyItem::Unknown;
        }
        if stem == "_ffi" {
            return PyItem::Generated;
        }
        let Some(m) = self.modules.get(stem) else { return PyItem::Unknown };
        if let Some(c) = m.classes.get(name) {
            return PyItem::Class(c.clone(), stem.to_string());
        }
        if let Some((decos, sig)) = m.functions.get(name) {
            return PyItem::Function(decos.clone(), sig.clone());
        }
        if let Some((from, orig)) = m.imports.get(name) {
            let target = if from.is_empty() { "__init__" } else { from.as_str() };
            return self.resolve(target, orig, depth + 1);
        }
        if let Some(v) = m.constants.get(name) {
            return PyItem::Constant(v.clone());
        }
        PyItem::Unknown
    }

    /// A class's public members, those of its hand-written bases included (its own win).
    fn members(&self, class: &PyClass, stem: &str, depth: usize) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        if depth > 10 {
            return out;
        }
        for base in &class.bases {
            if let PyItem::Class(b, bstem) = self.resolve(stem, base, 0) {
                out.extend(self.members(&b, &bstem, depth + 1));
            }
        }
        out.extend(class.members.clone());
        out
    }
}

fn python_api(dir: &Path) -> Result<Vec<String>> {
    let pkg = PyPackage::load(dir)?;
    let mut out = Vec::new();
    for (module, file) in PYTHON_MODULES {
        let stem = file.trim_end_matches(".py");
        let m = pkg.modules.get(stem).ok_or_else(|| format!("no {file} in {}", dir.display()))?;
        out.push(format!("module {module}: __all__ = [{}]", m.all.join(", ")));
        for name in &m.all {
            let qual = format!("{module}.{name}");
            match pkg.resolve(stem, name, 0) {
                PyItem::Class(c, cstem) => {
                    out.push(format!("class {qual}{}", c.header));
                    for member in pkg.members(&c, &cstem, 0).values() {
                        out.push(member.replace("{}", &qual));
                    }
                }
                PyItem::Function(decos, sig) => out.push(format!("{decos}def {qual}{sig}")),
                PyItem::Constant(v) => out.push(format!("const {qual} = {v}")),
                PyItem::Generated => out.push(format!("generated {qual}")),
                PyItem::Unknown => out.push(format!("unresolved {qual}")),
            }
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KOTLIN: &str = r#"@file:JvmName("X")

package dev.example

import java.nio.ByteBuffer

/** Doc { with a brace. */
typealias Header = dev.example.ffi.Header

data class Response @JvmOverloads constructor(val status: Int, val headers: List<Header>, val body: ByteArray = ByteArray(0)) {
    init {
        require(status in 0..65535) { "status must be 0..${UShort.MAX_VALUE}, not $status }" }
    }

    override fun toString(): String = "Response(status=$status)"
}

internal class Owned<T : AutoCloseable>(internal val inner: T) {
    fun close() {}
}

class Signer(scheme: Scheme, credentials: Credentials) : AutoCloseable {
    private val id: Long = 1

    val keyId: String = credentials.keyId

    val isClosed: Boolean get() = owned.closed

    @JvmOverloads
    fun sign(
        method: String,
        target: String, // a comment, with (parens
        headers: List<Header>,
        body: ByteArray = ByteArray(0),
        now: Long? = null,
    ): SignedRequest {
        val local = object : Runnable { override fun run() {} }
        return TODO("'}'")
    }

    private inline fun <R> hidden(block: () -> R): R = block()

    override fun close() = owned.close()

    companion object {
        const val DEFAULT: Int = 1 shl 20
        @JvmStatic
        fun of(digest: String = "sha1"): Signer = TODO()
        private val EMPTY = 0
    }
}

enum class ErrorKind(val code: String) {
    /** doc */
    INVALID_REQUEST("invalid_request"),

    STALE("stale");

    override fun toString(): String = code

    internal companion object {
        fun hidden(): Int = 0
    }
}

fun interface KeyLookup {
    fun secretFor(keyId: String): ByteArray?
}

class Exc(
    val kind: ErrorKind,
    override val message: String,
    private val secret: String? = null,
) : Exception(message, null) {
    constructor(kind: ErrorKind) : this(kind, "")
}

class Hidden private constructor(inner: Int) {
    internal val x = 1
    protected open fun extend() {}
}

internal fun Exc.toPublic(): Int = 0

fun <T : Any> String.ext(vararg items: T): Int = items.size
"#;

    #[test]
    fn kotlin_public_declarations() {
        let got = kotlin_file(KOTLIN);
        let want = [
            "typealias dev.example.Header = dev.example.ffi.Header",
            "data class dev.example.Response",
            "constructor dev.example.Response(status: Int, headers: List<Header>, body: ByteArray = ByteArray(0))",
            "val dev.example.Response.status: Int",
            "val dev.example.Response.headers: List<Header>",
            "val dev.example.Response.body: ByteArray",
            "override fun dev.example.Response.toString(): String",
            "class dev.example.Signer : AutoCloseable",
            "constructor dev.example.Signer(scheme: Scheme, credentials: Credentials)",
            "val dev.example.Signer.keyId: String",
            "val dev.example.Signer.isClosed: Boolean",
            "fun dev.example.Signer.sign(method: String, target: String, headers: List<Header>, body: ByteArray = ByteArray(0), now: Long? = null): SignedRequest",
            "override fun dev.example.Signer.close()",
            "companion object dev.example.Signer.Companion",
            "const val dev.example.Signer.Companion.DEFAULT: Int = 1 shl 20",
            "fun dev.example.Signer.Companion.of(digest: String = \"sha1\"): Signer",
            "enum class dev.example.ErrorKind",
            "val dev.example.ErrorKind.code: String",
            "enum entry dev.example.ErrorKind.INVALID_REQUEST",
            "enum entry dev.example.ErrorKind.STALE",
            "override fun dev.example.ErrorKind.toString(): String",
            "fun interface dev.example.KeyLookup",
            "fun dev.example.KeyLookup.secretFor(keyId: String): ByteArray?",
            "class dev.example.Exc : Exception",
            "constructor dev.example.Exc(kind: ErrorKind, message: String, secret: String? = null)",
            "val dev.example.Exc.kind: ErrorKind",
            "override val dev.example.Exc.message: String",
            "constructor dev.example.Exc(kind: ErrorKind)",
            "class dev.example.Hidden",
            "protected open fun dev.example.Hidden.extend()",
            "fun <T : Any> dev.example.(String).ext(vararg items: T): Int",
        ];
        for w in want {
            assert!(got.iter().any(|g| g == w), "missing {w:?} in {got:#?}");
        }
        assert_eq!(got.len(), want.len(), "{got:#?}");
    }

    const SWIFT: &str = r#"import Foundation

extension BodyHasher {
    /// Doc.
    public static let defaultChunkSize = 1 << 20
    static let maxSliceSize = 1 << 30

    public func update<Chunks: Sequence>(contentsOf chunks: Chunks) throws where Chunks.Element: ContiguousBytes {
        let s = "a { \(chunks.count) }"
    }
}

extension Credentials: CustomStringConvertible {
    public var description: String { "Credentials(keyId: \(keyId()))" }
}

public protocol KeyLookup: AnyObject, Sendable {
    func secretFor(keyId: String) throws -> Data?
    var name: String { get }
}

final class LookupVerifier: Verifier {
    public func hidden() {}
}

public struct Options {
    public init(_ name: String, retries: Int = 3) {}
    let secret: Data
    public private(set) var count: Int = 0
    @discardableResult
    public mutating func sign(
        with signer: Signer,
        now: Int64? = nil
    ) throws -> SignedRequest {
        switch x { case .a: break }
    }
}

public enum Mode { case fast, slow(Int) }

public enum Kind {
    case a
    case b(reason: String)
}

public func httpStatus(_ error: HmacSigError) -> Int { 0 }
func internalHelper() {}
"#;

    #[test]
    fn swift_public_declarations() {
        let got = swift_file(SWIFT);
        let want = [
            "static let BodyHasher.defaultChunkSize = 1 << 20",
            "func BodyHasher.update<Chunks: Sequence>(contentsOf: Chunks) throws where Chunks.Element: ContiguousBytes",
            "extension Credentials: CustomStringConvertible",
            "var Credentials.description: String",
            "protocol KeyLookup: AnyObject, Sendable",
            "func KeyLookup.secretFor(keyId: String) throws -> Data?",
            "var KeyLookup.name: String { get }",
            "struct Options",
            "Options.init(_: String, retries: Int = 3)",
            "private(set) var Options.count: Int",
            "mutating func Options.sign(with: Signer, now: Int64? = nil) throws -> SignedRequest",
            "enum Mode",
            "enum Kind",
            "case Kind.a",
            "case Kind.b(reason: String)",
            "func httpStatus(_: HmacSigError) -> Int",
        ];
        for w in want {
            assert!(got.iter().any(|g| g == w), "missing {w:?} in {got:#?}");
        }
        assert_eq!(got.len(), want.len(), "{got:#?}");
    }

    #[test]
    fn python_resolves_all_through_imports() {
        let dir = std::env::temp_dir().join(format!("xtask-api-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let files = [
            (
                "__init__.py",
                "\"\"\"Doc\nclass NotAClass:\n\"\"\"\nfrom __future__ import annotations\nfrom ._signer import Signer, sign as sign_request\nfrom ._ffi import Scheme\n\n__all__ = [\n    \"Scheme\",\n    \"Signer\",\n    \"sign_request\",\n    \"LIMIT\",\n]\nLIMIT = 1 << 20\n",
            ),
            (
                "_objects.py",
                "class Closeable:\n    @property\n    def closed(self) -> bool:\n        return False\n\n    def close(self) -> None:\n        pass\n\n    def _live(self):\n        pass\n",
            ),
            (
                "_signer.py",
                "from ._objects import Closeable\n\n\nclass Signer(Closeable):\n    \"\"\"Doc.\n\ndef not_a_method(self):\n    \"\"\"\n\n    __slots__ = (\"_id\",)\n    kind: str = \"x\"\n\n    def __init__(self, scheme: Scheme) -> None:\n        self._id = 0\n\n    def sign(\n        self,\n        method: str,  # comment (\n        now: Optional[int] = None,\n    ) -> SignedRequest:\n        def inner():\n            pass\n\n    def close(self) -> None:\n        pass\n\n    def __repr__(self) -> str:\n        return ''\n\n\ndef sign(scheme: Scheme) -> str:\n    return \"\"\n",
            ),
            (
                "requests.py",
                "from . import Signer\n__all__ = [\"HmacSigAuth\"]\n\nclass HmacSigAuth(AuthBase):\n    def __call__(self, r): ...\n",
            ),
            ("httpx.py", "__all__ = []\n"),
            ("asgi.py", "__all__ = [\"KEY_ID\"]\nfrom ._http import KEY_ID\n"),
            ("wsgi.py", "__all__ = [\"Missing\"]\n"),
            ("_http.py", "KEY_ID = \"hmacsig.key_id\"\n"),
        ];
        for (name, text) in files {
            std::fs::write(dir.join(name), text).unwrap();
        }
        let got = python_api(&dir).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        let want = [
            "class hmacsig.requests.HmacSigAuth(AuthBase)",
            "class hmacsig.Signer(Closeable)",
            "const hmacsig.LIMIT = 1 << 20",
            "const hmacsig.asgi.KEY_ID = \"hmacsig.key_id\"",
            "attr hmacsig.Signer.kind: str",
            "def hmacsig.Signer.__init__(self, scheme: Scheme) -> None",
            "def hmacsig.Signer.close(self) -> None",
            "def hmacsig.Signer.sign(self, method: str, now: Optional[int] = None) -> SignedRequest",
            "@property def hmacsig.Signer.closed(self) -> bool",
            "def hmacsig.sign_request(scheme: Scheme) -> str",
            "generated hmacsig.Scheme",
            "module hmacsig.asgi: __all__ = [KEY_ID]",
            "module hmacsig.httpx: __all__ = []",
            "module hmacsig.requests: __all__ = [HmacSigAuth]",
            "module hmacsig.wsgi: __all__ = [Missing]",
            "module hmacsig: __all__ = [Scheme, Signer, sign_request, LIMIT]",
            "unresolved hmacsig.wsgi.Missing",
        ];
        for w in want {
            assert!(got.iter().any(|g| g == w), "missing {w:?} in {got:#?}");
        }
        assert_eq!(got.len(), want.len(), "{got:#?}");
    }

    #[test]
    fn masking_keeps_positions_and_hides_literals() {
        let m = mask_source("val s = \"a{b${x + \"}\"}c\" // {\n'{'", Lang::Kotlin);
        let mask: String = m.mask.iter().collect();
        assert_eq!(mask.chars().count(), m.text.len());
        assert!(!mask.contains('{') && !mask.contains('}'), "{mask:?}");
    }

    #[test]
    fn diff_lists_both_sides() {
        assert_eq!(diff("a\nb\n", "b\nc\n"), "- a\n+ c\n");
    }
}
