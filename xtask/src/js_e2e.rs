//! JavaScript in the end-to-end phase (tests/e2e/README.md): the Node server every client
//! suite crosses to (`tests/e2e/js/server.mjs`, Express), the npm package's clients
//! (`tests/e2e/js/clients.test.mjs`, on Node) against the shared servers, and the Swagger UI
//! example in a real headless Chromium (`tests/e2e/js/swagger-ui.test.mjs`) against the
//! FastAPI example that serves it (`examples/python/fastapi_swagger_ui.py`).
//!
//! Installs what it needs: Debian's `chromium` (puppeteer-core drives it and never downloads
//! a browser), the npm packages of `examples/swagger-ui/` (swagger-ui-dist) and
//! `tests/e2e/js/` (Express, puppeteer-core), each from its lock file.

use std::path::PathBuf;
use std::process::Command;

use crate::e2e::{Server, free_port};
use crate::js::{node_test_counts, npm_ci};
use crate::util::{Counts, Result, log, root, run_tee, target_dir};

/// Debian's Chromium (package `chromium`).
const CHROMIUM: &str = "/usr/bin/chromium";

fn e2e_dir() -> PathBuf {
    root().join("tests").join("e2e").join("js")
}

/// `target/swagger-ui/`: the example page with swagger-ui-dist and the built npm package
/// beside it, as `examples/python/fastapi_swagger_ui.py` serves it at `/swagger/`.
pub fn swagger_ui_page() -> Result<PathBuf> {
    crate::js::prepare()?;
    let example = root().join("examples").join("swagger-ui");
    npm_ci(&example)?;
    let page = target_dir().join("swagger-ui");
    let dist = example.join("node_modules").join("swagger-ui-dist");
    let package = crate::js::package_dir();
    let mut files = vec![(example.join("index.html"), page.join("index.html"))];
    for file in ["swagger-ui.css", "swagger-ui-bundle.js"] {
        files.push((dist.join(file), page.join("swagger-ui-dist").join(file)));
    }
    for file in ["index.js", "http.js", "swagger-ui.js", "hmacsig_wasm.js", "hmacsig_wasm_bg.wasm"] {
        files.push((package.join(file), page.join("hmacsig").join(file)));
    }
    for (from, to) in files {
        crate::util::sync_file(&from, &to)?;
    }
    log(format!("js: the Swagger UI example page in {}", page.display()));
    Ok(page)
}

/// The end-to-end Node server (`tests/e2e/js/server.mjs`: Express with `expressMiddleware`)
/// on 127.0.0.1:`port`, after `npm ci` of its dependencies.
pub fn e2e_server(port: u16) -> Result<Command> {
    let dir = e2e_dir();
    npm_ci(&dir)?;
    let mut cmd = Command::new("node");
    cmd.current_dir(&dir).arg("server.mjs").arg(port.to_string()).env("HMACSIG_JS_PACKAGE", crate::js::package_dir().join("index.js"));
    Ok(cmd)
}

/// Runs both JavaScript client suites with `env` (the shared servers' URLs and the key);
/// starts the FastAPI example for the browser suite and stops it after.
pub fn e2e_clients(env: &[(String, String)]) -> Result<Counts> {
    crate::util::ensure_program("chromium", "chromium")?;
    let dir = e2e_dir();
    npm_ci(&dir)?;
    let page = swagger_ui_page()?;
    let port = free_port()?;
    let mut app = crate::python::swagger_ui_example(port, &page)?;
    for (name, value) in env.iter().filter(|(name, _)| name == "HMACSIG_E2E_KEY_ID" || name == "HMACSIG_E2E_SECRET") {
        app.env(name.replace("_E2E", ""), value);
    }
    let server = Server::start("swagger-ui-example", app, port)?;
    let shots = target_dir().join("e2e").join("screenshots");
    let (_, output) = run_tee(
        Command::new("node")
            .current_dir(&dir)
            .args(["--test", "clients.test.mjs", "swagger-ui.test.mjs"])
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("HMACSIG_JS_PACKAGE", crate::js::package_dir().join("index.js"))
            .env("HMACSIG_SWAGGER_URL", &server.url)
            .env("HMACSIG_CHROMIUM", CHROMIUM)
            .env("HMACSIG_SCREENSHOT_DIR", &shots),
    )?;
    let counts = node_test_counts(&output, &dir)?;
    log(format!("e2e: js: screenshots of the Swagger UI example in {}", shots.display()));
    Ok(counts)
}
