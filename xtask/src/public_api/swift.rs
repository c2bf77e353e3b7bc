//! Swift: `public` or `open` declarations, members of public extensions and protocols.

use crate::util::Result;
use std::path::Path;

use super::scan::*;

pub(super) const SWIFT_MODIFIERS: [&str; 22] = [
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

pub(super) const SWIFT_KINDS: [&str; 14] =
    ["func", "init", "deinit", "subscript", "var", "let", "class", "struct", "enum", "protocol", "extension", "typealias", "case", "actor"];

pub(super) fn swift_api(dir: &Path) -> Result<Vec<String>> {
    let mut files = Vec::new();
    source_files(dir, "swift", false, &mut files)?;
    let mut out = Vec::new();
    for f in files.iter().filter(|f| f.file_name().is_some_and(|n| n != "HmacSig.swift")) {
        out.extend(swift_file(&read(f)?));
    }
    out.sort();
    Ok(out)
}

pub(super) fn swift_file(src: &str) -> Vec<String> {
    let masked = mask_source(src, Lang::Swift);
    let lines = logical_lines(&masked, Lang::Swift);
    walk(&lines, "", swift_decl, |_, _| None)
}

/// `label name: Type = default` -> `label: Type = default` (argument labels are the API).
pub(super) fn swift_param(p: &Logical) -> String {
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

pub(super) fn swift_decl(line: &Logical, parent: &str, frame: &Frame) -> Option<Decl> {
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
