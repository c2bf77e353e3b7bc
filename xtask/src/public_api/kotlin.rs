//! Kotlin: public unless `private` or `internal`, inside public containers.

use crate::util::Result;
use std::path::Path;

use super::scan::*;

pub(super) const KOTLIN_MODIFIERS: [&str; 27] = [
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

pub(super) fn kotlin_api(dir: &Path) -> Result<Vec<String>> {
    let mut files = Vec::new();
    source_files(dir, "kt", true, &mut files)?;
    let mut out = Vec::new();
    for f in files {
        out.extend(kotlin_file(&read(&f)?));
    }
    out.sort();
    Ok(out)
}

pub(super) fn kotlin_file(src: &str) -> Vec<String> {
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
pub(super) fn kotlin_entries(line: &Logical, qual: &str) -> Option<(Vec<String>, bool)> {
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

pub(super) struct KParam {
    pub(super) rendered: String,
    pub(super) name: String,
    pub(super) ty: String,
    pub(super) property: Option<(bool, String)>, // (public, "val"/"var" with modifiers)
}

pub(super) fn kotlin_param(p: &Logical) -> KParam {
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

pub(super) fn kotlin_decl(line: &Logical, parent: &str, frame: &Frame) -> Option<Decl> {
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
