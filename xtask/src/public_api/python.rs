//! Python: each public module's `__all__`, resolved through the package's imports.

use crate::util::Result;
use std::collections::BTreeMap;
use std::path::Path;

use super::scan::*;

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
pub(super) struct PyModule {
    pub(super) all: Vec<String>,
    pub(super) classes: BTreeMap<String, PyClass>,
    /// name -> (decorators, signature)
    pub(super) functions: BTreeMap<String, (String, String)>,
    pub(super) constants: BTreeMap<String, String>,
    /// name -> (module, original name): `from .x import a as name` gives ("_x" or "" for the package, "a").
    pub(super) imports: BTreeMap<String, (String, String)>,
}

#[derive(Default, Clone)]
pub(super) struct PyClass {
    pub(super) header: String,
    pub(super) bases: Vec<String>,
    /// Public methods and attributes (rendered without the class prefix), by name.
    pub(super) members: BTreeMap<String, String>,
}

pub(super) fn py_def(line: &Logical) -> Option<(String, String)> {
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

pub(super) fn parse_python(src: &str) -> PyModule {
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
pub(super) enum PyItem {
    Class(PyClass, String),
    Function(String, String),
    Constant(String),
    Generated,
    Unknown,
}

pub(super) struct PyPackage {
    pub(super) modules: BTreeMap<String, PyModule>, // by file stem: "__init__", "_signer", ...
}

impl PyPackage {
    pub(super) fn load(dir: &Path) -> Result<Self> {
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
    pub(super) fn resolve(&self, stem: &str, name: &str, depth: usize) -> PyItem {
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
    pub(super) fn members(&self, class: &PyClass, stem: &str, depth: usize) -> BTreeMap<String, String> {
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

pub(super) fn python_api(dir: &Path) -> Result<Vec<String>> {
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
