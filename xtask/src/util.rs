//! Paths and process helpers shared by every xtask command.
//! Everything xtask prints goes to stderr: stdout belongs to conformance results.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub type Result<T = ()> = std::result::Result<T, String>;

/// The repository root (the workspace holding xtask).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace").to_path_buf()
}

pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root().join("target"))
}

/// `tests/vectors/`: the reference vectors, copied into the repository byte
/// for byte (their README says where each comes from).
pub fn vectors_dir() -> PathBuf {
    root().join("tests").join("vectors")
}

/// Caches kept outside the repository and reused across clones: the Swift
/// chroot, the Python venv, Maven's repository.
pub fn cache_dir() -> PathBuf {
    std::env::var_os("HMACSIG_CACHE").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/var/cache/hmacsig"))
}

/// Free space on the filesystem holding `path`, in GiB (`df`); `None` when `df` cannot tell.
pub fn free_gib(path: &Path) -> Option<f64> {
    let out = Command::new("df").arg("-Pk").arg(path).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let kib: f64 = text.lines().nth(1)?.split_whitespace().nth(3)?.parse().ok()?;
    Some(kib / (1024.0 * 1024.0))
}

/// Quiet mode (`cargo xtask demo` without `--verbose`): no `[xtask]` lines, no
/// command lines, and the output of the commands run is shown only when one
/// fails, so what a person reads is what the command is for.
static QUIET: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, std::sync::atomic::Ordering::Relaxed);
}

fn quiet() -> bool {
    QUIET.load(std::sync::atomic::Ordering::Relaxed)
}

pub fn log(msg: impl AsRef<str>) {
    if !quiet() {
        eprintln!("[xtask] {}", msg.as_ref());
    }
}

fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// Runs `cmd` with its stdout sent to our stderr (in quiet mode, both kept
/// and shown only if it fails); fails on a non-zero exit.
pub fn run(cmd: &mut Command) -> Result {
    log(format!("$ {}", describe(cmd)));
    if quiet() {
        let out = cmd.stdin(Stdio::null()).output().map_err(|e| format!("cannot start {}: {e}", describe(cmd)))?;
        if out.status.success() {
            return Ok(());
        }
        eprint!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        return Err(format!("`{}` failed: {}", describe(cmd), out.status));
    }
    let status = cmd.stdout(Stdio::from(std::io::stderr())).status().map_err(|e| format!("cannot start {}: {e}", describe(cmd)))?;
    if status.success() { Ok(()) } else { Err(format!("`{}` failed: {status}", describe(cmd))) }
}

/// Runs `cmd` feeding `input` on stdin; returns its stdout. Its stderr passes through.
pub fn run_capture(cmd: &mut Command, input: &[u8]) -> Result<Vec<u8>> {
    use std::io::Write;
    log(format!("$ {}", describe(cmd)));
    if quiet() {
        cmd.stderr(Stdio::piped());
    }
    let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().map_err(|e| format!("cannot start {}: {e}", describe(cmd)))?;
    let mut stdin = child.stdin.take().expect("piped");
    let input = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    writer.join().map_err(|_| "stdin writer panicked".to_string())?.map_err(|e| format!("writing stdin: {e}"))?;
    if out.status.success() {
        return Ok(out.stdout);
    }
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    Err(format!("`{}` failed: {}", describe(cmd), out.status))
}

/// Whether `program` is on PATH.
pub fn have(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(program).is_file()))
}

/// Makes sure `program` is on PATH, installing Debian `package` with apt when it is not
/// (we are root on a Debian-based machine; CI too).
pub fn ensure_program(program: &str, package: &str) -> Result {
    if have(program) {
        return Ok(());
    }
    log(format!("{program} is not on PATH: installing the Debian package {package}"));
    install_debian_packages(&[package])?;
    if have(program) { Ok(()) } else { Err(format!("installed {package}, yet {program} is still not on PATH")) }
}

/// `apt-get update`, then one `apt-get install` of `packages` (without their recommends).
pub fn install_debian_packages(packages: &[&str]) -> Result {
    run(Command::new("apt-get").arg("update"))?;
    run(Command::new("apt-get").args(["install", "-y", "--no-install-recommends"]).args(packages).env("DEBIAN_FRONTEND", "noninteractive"))
}

/// Makes sure Debian's PostgreSQL server is installed (its binaries are under
/// `/usr/lib/postgresql/*/bin`, not on PATH): the key store's tests start
/// clusters of their own with its `initdb`.
pub fn ensure_postgresql() -> Result {
    let installed = std::fs::read_dir("/usr/lib/postgresql")
        .map(|versions| versions.flatten().any(|v| v.path().join("bin").join("initdb").is_file()))
        .unwrap_or(false);
    if installed {
        return Ok(());
    }
    log("PostgreSQL is not installed: installing the Debian package postgresql");
    run(Command::new("apt-get").arg("update"))?;
    run(Command::new("apt-get").args(["install", "-y", "--no-install-recommends", "postgresql"]).env("DEBIAN_FRONTEND", "noninteractive"))
}

/// Copies `from` to `to` when the content differs (keeps mtimes stable for incremental builds).
pub fn sync_file(from: &Path, to: &Path) -> Result {
    let new = std::fs::read(from).map_err(|e| format!("reading {}: {e}", from.display()))?;
    if std::fs::read(to).ok().as_deref() != Some(&new[..]) {
        if let Some(dir) = to.parent() {
            std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        }
        std::fs::write(to, new).map_err(|e| format!("writing {}: {e}", to.display()))?;
    }
    Ok(())
}

/// Tests passed and failed, summed across suites for the closing line.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub passed: u64,
    pub failed: u64,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, o: Self) {
        self.passed += o.passed;
        self.failed += o.failed;
    }
}

/// Runs `cmd`, echoing its stdout and stderr to our stderr as they come, and
/// returns whether it succeeded plus everything it printed (for count parsing).
pub fn run_tee(cmd: &mut Command) -> Result<(bool, String)> {
    use std::io::{BufRead, BufReader, Write};
    log(format!("$ {}", describe(cmd)));
    let mut child =
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().map_err(|e| format!("cannot start {}: {e}", describe(cmd)))?;
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let pumps: Vec<_> = [
        child.stdout.take().map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
        child.stderr.take().map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
    ]
    .into_iter()
    .flatten()
    .map(|stream| {
        let tx = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(std::result::Result::ok) {
                let _ = tx.send(line);
            }
        })
    })
    .collect();
    drop(tx);
    let mut all = String::new();
    for line in rx {
        if !quiet() {
            let _ = writeln!(std::io::stderr(), "{line}");
        }
        all.push_str(&line);
        all.push('\n');
    }
    for p in pumps {
        let _ = p.join();
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    Ok((status.success(), all))
}

/// Sums every match of `pattern`-style counters found by `extract` over `output`'s lines.
pub fn sum_counts(output: &str, extract: impl Fn(&str) -> Option<Counts>) -> Counts {
    let mut total = Counts::default();
    for line in output.lines() {
        if let Some(c) = extract(line) {
            total += c;
        }
    }
    total
}

/// The integer right before `word` in `line` ("12 passed" -> 12).
pub fn number_before(line: &str, word: &str) -> Option<u64> {
    let idx = line.find(word)?;
    line[..idx].trim_end().rsplit(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
}

/// The integer right after `word` in `line` ("Tests run: 12," -> 12).
pub fn number_after(line: &str, word: &str) -> Option<u64> {
    let idx = line.find(word)? + word.len();
    let digits: String = line[idx..].trim_start().chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}
