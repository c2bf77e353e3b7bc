//! python: set-up, tests and the conformance runner.
//!
//! The package is `bindings/python/` (maturin, `bindings = "uniffi"`, generated module in
//! `hmacsig._ffi`, hand-written `hmacsig` over it). `prepare` makes the venv
//! `target/py-venv` with the pinned tools and test dependencies, builds the wheel into
//! `target/wheels` and installs it into the venv (only when the wheel changed). Tests, the
//! runner and the end-to-end servers and clients use the installed package, as a user would.

use std::ffi::{OsStr, OsString};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::util::{Counts, Result, have, log, number_before, root, run, run_tee, target_dir};

/// Build and test tools, and what the integration tests and end-to-end servers import
/// (the package itself has no runtime dependencies), pinned. Versions from `pip index
/// versions NAME` for Python 3.11; the frameworks' own dependencies that decide what goes
/// on the wire (urllib3, httpcore, h11, starlette, werkzeug) are pinned too. `awscrt` (AWS's C
/// signer, aws-c-auth), botocore, `http-message-signatures` and `hypothesis` drive the
/// differential tests (issue 16), with the dependencies they pull in pinned as well (botocore's
/// as the bench pins them).
pub(crate) const TOOLS: [(&str, &str); 30] = [
    ("maturin", "1.16.0"),
    ("pytest", "9.2.0"),
    ("mypy", "2.4.1"),
    ("types-requests", "2.33.0.20261030"),
    ("requests", "2.34.2"),
    ("urllib3", "2.8.0"),
    ("httpx", "0.28.1"),
    ("httpcore", "1.0.9"),
    ("h11", "0.16.0"),
    ("anyio", "4.16.0"),
    ("fastapi", "0.165.0"),
    ("starlette", "1.10.0"),
    ("pydantic", "2.14.3"),
    ("uvicorn", "0.54.0"),
    ("flask", "3.1.3"),
    ("werkzeug", "3.1.9"),
    ("idna", "3.20"),
    ("awscrt", "0.38.0"),
    ("hypothesis", "6.170.27"),
    ("sortedcontainers", "2.4.0"),
    ("http-message-signatures", "3.0.0"),
    ("http-sf", "1.5.0"),
    ("cryptography", "51.0.1"),
    ("cffi", "2.1.1"),
    ("pycparser", "3.12"),
    ("botocore", "1.44.5"),
    ("jmespath", "1.1.0"),
    ("python-dateutil", "2.9.0.post0"),
    ("six", "1.17.0"),
    ("mohawk", "1.1.0"),
];

fn project() -> PathBuf {
    root().join("bindings").join("python")
}

fn venv() -> PathBuf {
    target_dir().join("py-venv")
}

pub(crate) fn venv_python() -> PathBuf {
    venv().join("bin").join("python")
}

fn wheels_dir() -> PathBuf {
    target_dir().join("wheels")
}

/// Records which wheel is installed in the venv (a hash of its bytes).
fn installed_stamp() -> PathBuf {
    venv().join("hmacsig-wheel.stamp")
}

/// Whether the venv's python can run `code` (quietly).
fn python_ok(code: &str) -> bool {
    Command::new(venv_python()).args(["-c", code]).stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

pub(crate) fn ensure_venv() -> Result {
    if !python_ok("import sys") {
        let python = ["python3", "python3.11", "python"].into_iter().find(|p| have(p)).ok_or("no python3 on PATH")?;
        let _ = std::fs::remove_dir_all(venv());
        run(Command::new(python).args(["-m", "venv"]).arg(venv()))?;
    }
    ensure_pinned(&TOOLS)
}

/// Installs `pins` into the venv unless every one is there at exactly its version (one check
/// for all of them).
pub(crate) fn ensure_pinned(pins: &[(&str, &str)]) -> Result {
    let check = pins.iter().map(|(name, version)| format!("m.version({name:?}) == {version:?}")).collect::<Vec<_>>().join(" and ");
    if !python_ok(&format!("import importlib.metadata as m, sys; sys.exit(0 if {check} else 1)")) {
        run(pip_install(&venv_python()).args(requirements(pins)))?;
    }
    Ok(())
}

/// `name==version` for each pin.
pub(crate) fn requirements(pins: &[(&str, &str)]) -> Vec<String> {
    pins.iter().map(|(name, version)| format!("{name}=={version}")).collect()
}

/// `PYTHON -m pip install --quiet`, for more arguments.
pub(crate) fn pip_install(python: &Path) -> Command {
    let mut cmd = Command::new(python);
    cmd.args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check"]);
    cmd
}

/// `maturin build --release` into `target/wheels`; returns the wheel.
fn build_wheel() -> Result<PathBuf> {
    let out = wheels_dir();
    std::fs::create_dir_all(&out).map_err(|e| e.to_string())?;
    for old in hmacsig_wheels(&out) {
        let _ = std::fs::remove_file(old);
    }
    // maturin runs `cargo run --bin uniffi-bindgen` from the workspace, which
    // finds bindings/uniffi-bindgen (every member is a default member).
    run(Command::new(venv().join("bin").join("maturin"))
        .current_dir(project())
        .args(["build", "--release", "--quiet", "--out"])
        .arg(&out))?;
    match hmacsig_wheels(&out).as_slice() {
        [wheel] => Ok(wheel.clone()),
        other => Err(format!("expected one hmacsig wheel in {}, found {}", out.display(), other.len())),
    }
}

fn hmacsig_wheels(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return vec![] };
    entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("hmacsig-") && n.ends_with(".whl")))
        .collect()
}

fn wheel_hash(wheel: &Path) -> Result<String> {
    use std::hash::{Hash as _, Hasher as _};
    let bytes = std::fs::read(wheel).map_err(|e| format!("reading {}: {e}", wheel.display()))?;
    let mut h = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut h);
    Ok(format!("{:016x} {}\n", h.finish(), bytes.len()))
}

/// Installs what python needs and builds the package (idempotent, incremental).
pub fn prepare() -> Result {
    ensure_venv()?;
    let wheel = build_wheel()?;
    let stamp = wheel_hash(&wheel)?;
    if std::fs::read_to_string(installed_stamp()).ok().as_deref() == Some(stamp.as_str()) && python_ok("import hmacsig") {
        log("python: hmacsig wheel unchanged, already installed");
        return Ok(());
    }
    let _ = std::fs::remove_file(installed_stamp());
    run(Command::new(venv_python())
        .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--force-reinstall", "--no-deps"])
        .arg(&wheel))?;
    std::fs::File::create(installed_stamp()).and_then(|mut f| f.write_all(stamp.as_bytes())).map_err(|e| e.to_string())?;
    log(format!("python: installed {}", wheel.display()));
    Ok(())
}

/// Runs the python test suite (after `prepare`): the binding, the integrations over
/// loopback HTTP, the examples, `mypy --strict`, and `pip install ./bindings/python` into a
/// fresh venv (which reuses this target dir's compiled artifacts).
pub fn test() -> Result<Counts> {
    test_services()?;
    pytest(&project(), &[(OsString::from("CARGO_TARGET_DIR"), target_dir().into_os_string())], &[OsStr::new("tests")])
}

/// What the Python tests start or ask beside them: tests/test_replay_redis.py starts a real
/// redis-server on loopback; tests/test_fleet.py that and a throwaway PostgreSQL cluster
/// (Debian's initdb, not on PATH); tests/test_differential_hawk.py asks npm hawk (the
/// reference) through its oracle.
pub(crate) fn test_services() -> Result {
    crate::util::ensure_program("redis-server", "redis-server")?;
    crate::util::ensure_postgresql()?;
    hawk_oracle()
}

/// `npm ci` in tests/conformance/hawk (hawk 9.0.2, pinned by its lock file).
pub fn hawk_oracle() -> Result {
    crate::util::ensure_program("node", "nodejs")?;
    crate::util::ensure_program("npm", "npm")?;
    crate::js::npm_ci(&root().join("tests").join("conformance").join("hawk"))
}

/// Runs `pytest ARGS` in `dir` with `env` added; the counts come from its closing line.
fn pytest(dir: &Path, env: &[(OsString, OsString)], args: &[&OsStr]) -> Result<Counts> {
    let mut python = Command::new(venv_python());
    python.envs(env.iter().map(|(k, v)| (k, v)));
    pytest_with(python, dir, args)
}

/// `pytest ARGS` in `dir` by the interpreter `python` (a command, with its environment: the
/// project venv's, or a wheel's own under `cargo xtask dist --test`); the counts of its
/// closing line ("3 failed, 67 passed, 1 error in 0.31s": any subset, any order), errors
/// counted as failures.
pub(crate) fn pytest_with<A: AsRef<OsStr>>(mut python: Command, dir: &Path, args: &[A]) -> Result<Counts> {
    python
        .current_dir(dir)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .args(["-m", "pytest", "-p", "no:cacheprovider", "--color=no", "-q"])
        .args(args);
    let (ok, out) = run_tee(&mut python)?;
    let summary = out.lines().rev().find(|l| l.contains(" in ") && [" passed", " failed", " error"].iter().any(|w| l.contains(w)));
    let counts = summary.map(|l| Counts {
        passed: number_before(l, " passed").unwrap_or(0),
        failed: number_before(l, " failed").unwrap_or(0) + number_before(l, " error").unwrap_or(0),
    });
    match counts {
        Some(c) if ok || c.failed > 0 => Ok(c),
        _ => Err(format!("pytest did not run the tests in {}", dir.display())),
    }
}

fn e2e_dir() -> PathBuf {
    root().join("tests").join("e2e").join("python")
}

/// The end-to-end ASGI server (`tests/e2e/python/asgi_server.py`, FastAPI verifying with
/// `hmacsig.asgi.HmacSigMiddleware`) under uvicorn on 127.0.0.1:`port` (after `prepare`).
/// The caller sets `HMACSIG_E2E_KEY_ID` and `HMACSIG_E2E_SECRET`.
pub fn e2e_asgi_server(port: u16) -> Result<Command> {
    let mut cmd = Command::new(venv_python());
    cmd.env("PYTHONDONTWRITEBYTECODE", "1").args(["-m", "uvicorn", "--app-dir"]).arg(e2e_dir()).args([
        "asgi_server:app",
        "--host",
        "127.0.0.1",
        "--port",
        &port.to_string(),
        "--log-level",
        "warning",
    ]);
    Ok(cmd)
}

/// The FastAPI example with the Swagger UI page (`examples/python/fastapi_swagger_ui.py`)
/// on 127.0.0.1:`port`, serving `page` at `/swagger/`.
pub fn swagger_ui_example(port: u16, page: &Path) -> Result<Command> {
    let mut cmd = Command::new(venv_python());
    cmd.env("PYTHONDONTWRITEBYTECODE", "1")
        .arg(root().join("examples").join("python").join("fastapi_swagger_ui.py"))
        .env("PORT", port.to_string())
        .env("HMACSIG_SWAGGER_UI_DIR", page);
    Ok(cmd)
}

/// The end-to-end tamper proxy (`tests/e2e/python/tamper_proxy.py`) on 127.0.0.1:`port`,
/// forwarding to `upstream` (`http://127.0.0.1:PORT`).
pub fn e2e_tamper_proxy(port: u16, upstream: &str) -> Result<Command> {
    let mut cmd = Command::new(venv_python());
    cmd.env("PYTHONDONTWRITEBYTECODE", "1").arg(e2e_dir().join("tamper_proxy.py")).args([
        "--port",
        &port.to_string(),
        "--upstream",
        upstream,
    ]);
    Ok(cmd)
}

/// The end-to-end skewed server (`tests/e2e/python/skewed_server.py`, hmacsig at a clock an
/// hour ahead, for clients' clock-skew correction) on 127.0.0.1:`port` (after `prepare`).
/// The caller sets `HMACSIG_E2E_KEY_ID` and `HMACSIG_E2E_SECRET`.
pub fn e2e_skewed_server(port: u16) -> Result<Command> {
    let mut cmd = Command::new(venv_python());
    cmd.env("PYTHONDONTWRITEBYTECODE", "1").arg(e2e_dir().join("skewed_server.py")).args(["--port", &port.to_string()]);
    Ok(cmd)
}

/// The Python client suite of the end-to-end phase (requests, httpx, httpx async and the
/// example clients; `tests/e2e/python/test_python_clients.py`) with `env` (the servers'
/// URLs and the key, tests/e2e/README.md).
pub fn e2e_clients(env: &[(String, String)]) -> Result<Counts> {
    let dir = e2e_dir();
    let env: Vec<(OsString, OsString)> = env.iter().map(|(k, v)| (k.into(), v.into())).collect();
    pytest(&dir, &env, &[OsStr::new("--rootdir"), dir.as_os_str(), dir.as_os_str()])
}

/// The command that runs the python conformance runner (after `prepare`):
/// cases on stdin, results on stdout.
pub fn runner() -> Result<Command> {
    // `HMACSIG_PYTHON`: another interpreter with hmacsig installed (`cargo xtask dist --test`
    // runs the suites through a wheel's own venv).
    let python = std::env::var_os("HMACSIG_PYTHON").map(PathBuf::from).unwrap_or_else(venv_python);
    let mut cmd = Command::new(python);
    cmd.env("PYTHONDONTWRITEBYTECODE", "1").arg(root().join("tests").join("conformance").join("python").join("runner.py"));
    Ok(cmd)
}
