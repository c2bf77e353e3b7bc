//! The scanning the three parsers share: comments blanked, string literals masked,
//! logical lines joined while brackets are open, declarations walked by nesting.

use crate::util::Result;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Lang {
    Kotlin,
    Swift,
    Python,
}

/// A source with comments blanked (`text` and `mask`) and string literals masked (`mask`:
/// their content is `x`, a newline inside one is `\u{1}`); both have one char per source char.
pub(super) struct Masked {
    pub(super) text: Vec<char>,
    pub(super) mask: Vec<char>,
}

pub(super) fn mask_source(src: &str, lang: Lang) -> Masked {
    let chars: Vec<char> = src.chars().collect();
    let mut m = Masked { text: chars.clone(), mask: chars.clone() };
    let mut i = 0;
    scan_code(&chars, &mut m, &mut i, None, lang);
    m
}

pub(super) fn blank(m: &mut Masked, i: usize) {
    if m.text[i] != '\n' {
        m.text[i] = ' ';
        m.mask[i] = ' ';
    }
}

/// Scans code from `*i`; with `close`, stops after that closer at depth 0 (a string template).
pub(super) fn scan_code(c: &[char], m: &mut Masked, i: &mut usize, close: Option<char>, lang: Lang) {
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
pub(super) fn scan_string(c: &[char], m: &mut Masked, i: &mut usize, lang: Lang) {
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
pub(super) struct Logical {
    pub(super) text: Vec<char>,
    pub(super) mask: Vec<char>,
    /// Columns of leading whitespace of its first physical line.
    pub(super) indent: usize,
}

pub(super) fn logical_lines(m: &Masked, lang: Lang) -> Vec<Logical> {
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
pub(super) fn norm(s: &str) -> String {
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
pub(super) struct Cur<'a> {
    pub(super) m: &'a [char],
    pub(super) t: &'a [char],
    pub(super) i: usize,
}

pub(super) fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '`'
}

impl<'a> Cur<'a> {
    pub(super) fn new(l: &'a Logical) -> Self {
        Cur { m: &l.mask, t: &l.text, i: 0 }
    }

    pub(super) fn ws(&mut self) {
        while self.i < self.m.len() && self.m[self.i].is_whitespace() {
            self.i += 1;
        }
    }

    pub(super) fn peek(&self) -> Option<char> {
        self.m.get(self.i).copied()
    }

    /// The identifier here (after whitespace), if any, without consuming it.
    pub(super) fn peek_ident(&self) -> Option<String> {
        let mut j = self.i;
        while j < self.m.len() && self.m[j].is_whitespace() {
            j += 1;
        }
        let s: String = self.m[j..].iter().take_while(|c| is_ident_char(**c)).collect();
        if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) { None } else { Some(s) }
    }

    pub(super) fn ident(&mut self) -> Option<String> {
        self.ws();
        let s: String = self.t[self.i..].iter().take_while(|c| is_ident_char(**c)).collect();
        if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
            return None;
        }
        self.i += s.chars().count();
        Some(s)
    }

    pub(super) fn text(&self, a: usize, b: usize) -> String {
        let b = b.min(self.t.len());
        self.t[a.min(b)..b].iter().collect()
    }

    /// At an opener (`(`, `[`, `<`): the index after its closer (the line's end if none).
    pub(super) fn group_end(&self, from: usize) -> usize {
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
    pub(super) fn group(&mut self) -> String {
        let end = self.group_end(self.i);
        let inner = self.text(self.i + 1, end.saturating_sub(1));
        self.i = end;
        inner
    }

    /// Skips `@Annotation`, `@file:Name(args)`, `@a.b.C(args)`; returns their names.
    pub(super) fn annotations(&mut self) -> Vec<String> {
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
    pub(super) fn until(&mut self, stops: &[char], stop_words: &[&str]) -> String {
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
pub(super) fn split_top(text: &[char], mask: &[char], sep: char) -> Vec<(Vec<char>, Vec<char>)> {
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
pub(super) fn params_of(cur: &Cur, open: usize) -> Vec<Logical> {
    let end = cur.group_end(open);
    let t = &cur.t[open + 1..end.saturating_sub(1).max(open + 1)];
    let m = &cur.m[open + 1..end.saturating_sub(1).max(open + 1)];
    split_top(t, m, ',').into_iter().map(|(text, mask)| Logical { text, mask, indent: 0 }).collect()
}

pub(super) fn qualify(prefix: &str, name: &str) -> String {
    if prefix.is_empty() { name.to_string() } else { format!("{prefix}.{name}") }
}

/// Nesting while walking a file: containers whose members are declarations, and code.
pub(super) enum Frame {
    Container { qual: String, visible: bool, default_public: bool, kind: &'static str, entries_open: bool },
    Code,
}

/// What a declaration line gives: its rendered lines (when public) and the container it opens.
pub(super) struct Decl {
    pub(super) public: bool,
    pub(super) lines: Vec<String>,
    /// The container its body brace opens: qualified name, kind, whether members default to public.
    pub(super) opens: Option<(String, &'static str, bool)>,
}

/// Walks the logical lines of one file, calling `decl` for each line directly inside a
/// container (or at the top level) and tracking nesting by braces.
pub(super) fn walk(
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

pub(super) fn source_files(dir: &Path, ext: &str, recurse: bool, out: &mut Vec<PathBuf>) -> Result {
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

pub(super) fn read(p: &Path) -> Result<String> {
    std::fs::read_to_string(p).map_err(|e| format!("reading {}: {e}", p.display()))
}
