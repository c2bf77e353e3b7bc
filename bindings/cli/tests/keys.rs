//! `hmacsig keys …`: create, rotate, revoke, list and rekey an encrypted key
//! store, the master key only from `HMACSIG_MASTER_KEY`; secrets shown once,
//! never in the store's files; errors with their exit codes.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use common::cases::{NOW, tempdir};
use common::{Run, SECRET_VAR, bin, hmacsig};
use hmacsig::{Header, KeyStore, Request, Scheme, Verifier};

const MASTER_VAR: &str = "HMACSIG_MASTER_KEY";

fn master() -> String {
    BASE64.encode([7u8; 32])
}

fn other_master() -> String {
    BASE64.encode([9u8; 32])
}

/// Runs `hmacsig keys args...` with these variables and no other master key.
fn keys(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(bin());
    cmd.arg("keys").args(args).env_remove(MASTER_VAR).env_remove(SECRET_VAR).envs(env.iter().copied()).stdin(Stdio::null());
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
    Run {
        code: out.status.code().expect("exited, not killed by a signal"),
        stdout: String::from_utf8(out.stdout).expect("UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("UTF-8"),
    }
}

/// A store in a fresh directory.
struct Store {
    dir: PathBuf,
    path: PathBuf,
    url: String,
}

impl Store {
    fn new(name: &str) -> Self {
        let dir = tempdir(&format!("keys-{name}"));
        let path = dir.join("keys.db");
        let url = format!("sqlite:{}", path.display());
        Self { dir, path, url }
    }

    /// Runs `hmacsig keys <command> [args] --store URL` with these variables
    /// (and no other master key).
    fn run(&self, command: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
        keys(&[&[command][..], args, &["--store", &self.url]].concat(), env)
    }

    /// The same, with the right master key.
    fn keys(&self, command: &str, args: &[&str]) -> Run {
        self.run(command, args, &[(MASTER_VAR, &master())])
    }

    /// `create` or `rotate`'s secret, checked to be alone on stdout.
    fn secret(&self, command: &str, args: &[&str]) -> String {
        let run = self.keys(command, args);
        let secret = run.ok().strip_suffix('\n').expect("a newline after the secret").to_owned();
        assert_eq!(secret.len(), 88, "{run:?}");
        assert!(!secret.contains(char::is_whitespace) && run.stderr.is_empty(), "{run:?}");
        secret
    }

    /// `list --json`'s rows as (key id, version, state).
    fn states(&self, extra: &[&str]) -> Vec<(String, u64, String)> {
        let run = self.keys("list", &[&["--json"][..], extra].concat());
        let rows: serde_json::Value = serde_json::from_str(run.ok()).unwrap_or_else(|e| panic!("{e}: {}", run.stdout));
        let rows = rows.as_array().expect("an array");
        rows.iter()
            .map(|r| (r["key_id"].as_str().unwrap().to_owned(), r["version"].as_u64().unwrap(), r["state"].as_str().unwrap().to_owned()))
            .collect()
    }

    /// Whether a request signed by `hmacsig sign` with `secret` verifies
    /// against the store, opened in this process with `master`.
    fn verifies(&self, master: &str, key_id: &str, secret: &str) -> bool {
        let signed = hmacsig(
            &["sign", "--scheme", "api-auth", "--key-id", key_id, "--secret-env", SECRET_VAR, "--now", NOW, "http://h/x"],
            Some(secret),
            b"",
        );
        let headers = signed.ok().lines().map(|l| l.split_once(": ").expect("Name: value")).map(|(n, v)| Header::new(n, v)).collect();
        let request = Request { method: "GET".into(), target: "/x".into(), headers, body: vec![] };
        let store = KeyStore::open(self.url.clone(), Some(master.to_owned())).expect("the store opens");
        let scheme = Scheme::api_auth("sha1".into(), vec![], None).unwrap();
        let verifier = Verifier::with_store(scheme, store, None, None).unwrap();
        verifier.verify_request(request, Some(NOW.parse().unwrap())).is_ok()
    }

    /// The store's files (the database and its -wal/-shm), by name, with their bytes.
    fn files(&self) -> Vec<(String, Vec<u8>)> {
        let mut files: Vec<_> = std::fs::read_dir(&self.dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.file_name().unwrap().to_str().unwrap().starts_with("keys.db"))
            .map(|p| (p.file_name().unwrap().to_str().unwrap().to_owned(), std::fs::read(&p).unwrap()))
            .collect();
        files.sort();
        files
    }
}

fn row(key_id: &str, version: u64, state: &str) -> (String, u64, String) {
    (key_id.to_owned(), version, state.to_owned())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn hex(bytes: &[u8], upper: bool) -> String {
    bytes.iter().map(|b| if upper { format!("{b:02X}") } else { format!("{b:02x}") }).collect()
}

#[test]
fn create_lists_version_1_active_and_its_secret_verifies() {
    let store = Store::new("create");
    let secret = store.secret("create", &["client-a"]);
    assert_eq!(store.states(&[]), [row("client-a", 1, "Active")]);
    let table = store.keys("list", &[]);
    let lines: Vec<&str> = table.ok().lines().collect();
    assert_eq!(lines[0].split_whitespace().collect::<Vec<_>>(), ["KEY", "ID", "VERSION", "CREATED", "EXPIRES", "STATE"]);
    let cells: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!((cells[0], cells[1], cells[3], cells[4]), ("client-a", "1", "-", "Active"), "{}", table.stdout);
    assert!(cells[2].len() == 20 && cells[2].ends_with('Z') && cells[2].as_bytes()[10] == b'T', "RFC 3339 UTC: {}", cells[2]);
    assert!(!table.stdout.contains(&secret));

    assert!(store.verifies(&master(), "client-a", &secret));
    assert!(!store.verifies(&master(), "client-a", "not-the-secret"));
    assert!(!store.verifies(&master(), "client-b", &secret), "an unknown key id");

    let again = store.keys("create", &["client-a"]);
    assert_eq!(again.code, 1, "{again:?}");
    assert!(again.stderr.contains("already exists") && again.stdout.is_empty(), "{again:?}");
}

#[test]
fn the_store_files_never_hold_a_secret() {
    let store = Store::new("at-rest");
    let mut secrets = vec![store.secret("create", &["client-a"])];
    // Another connection keeps the WAL from being folded back and removed.
    let held = KeyStore::open(store.url.clone(), Some(master())).unwrap();
    secrets.push(store.secret("rotate", &["client-a", "--grace", "600"]));
    secrets.push(store.secret("create", &["client-b"]));
    let files = store.files();
    assert!(files.iter().any(|(n, _)| n == "keys.db-wal"), "{:?}", files.iter().map(|f| &f.0).collect::<Vec<_>>());
    drop(held);
    let files = [files, store.files()].concat();
    for secret in &secrets {
        let decoded = BASE64.decode(secret).unwrap();
        let forms = [
            secret.as_bytes().to_vec(),
            hex(secret.as_bytes(), false).into_bytes(),
            hex(secret.as_bytes(), true).into_bytes(),
            BASE64.encode(secret).into_bytes(),
            decoded.clone(),
            hex(&decoded, false).into_bytes(),
            secret.as_bytes()[..16].to_vec(),
        ];
        for (name, bytes) in &files {
            for form in &forms {
                assert!(!contains(bytes, form), "{name} holds a secret");
            }
        }
    }
}

#[test]
fn rotate_keeps_the_old_secret_for_the_grace_period() {
    let store = Store::new("rotate");
    let v1 = store.secret("create", &["client-a"]);
    let v2 = store.secret("rotate", &["client-a", "--grace", "600"]);
    assert_ne!(v1, v2);
    assert_eq!(store.states(&[]), [row("client-a", 2, "Active"), row("client-a", 1, "Expiring")]);
    let later = (std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() + 700).to_string();
    assert_eq!(store.states(&["--now", &later]), [row("client-a", 2, "Active"), row("client-a", 1, "Expired")]);
    assert!(store.keys("list", &[]).ok().lines().nth(2).unwrap().contains("Z  Expiring"));
    // The verifier's clock is NOW (2023), before the grace period ends: both verify.
    assert!(store.verifies(&master(), "client-a", &v1) && store.verifies(&master(), "client-a", &v2));

    let missing = store.keys("rotate", &["client-z", "--grace", "0"]);
    assert_eq!(missing.code, 1, "{missing:?}");
    assert!(missing.stderr.contains("client-z"), "{missing:?}");
    assert_eq!(store.keys("rotate", &["client-a"]).code, 2, "--grace is required");
}

#[test]
fn out_writes_a_new_private_file_and_never_overwrites() {
    let store = Store::new("out");
    let out = store.dir.join("client-a.secret");
    let out_arg = out.to_str().unwrap();
    let created = store.keys("create", &["client-a", "--out", out_arg]);
    assert!(created.ok().is_empty() && created.stderr.contains("client-a.secret"), "{created:?}");
    let v1 = std::fs::read_to_string(&out).unwrap();
    assert!(v1.len() == 89 && v1.ends_with('\n') && !created.stderr.contains(v1.trim_end()), "{v1:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&out).unwrap().permissions().mode() & 0o777, 0o600);
    }
    assert!(store.verifies(&master(), "client-a", v1.trim_end()));

    let refused = store.keys("rotate", &["client-a", "--grace", "600", "--out", out_arg]);
    assert_eq!(refused.code, 3, "{refused:?}");
    assert!(refused.stderr.contains("exists") && refused.stdout.is_empty(), "{refused:?}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), v1, "left as it was");
    assert_eq!(store.states(&[]), [row("client-a", 1, "Active")], "the store did not change");

    let out2 = store.dir.join("v2");
    let rotated = store.keys("rotate", &["client-a", "--grace", "600", "--out", out2.to_str().unwrap()]);
    assert!(rotated.ok().is_empty() && rotated.stderr.contains("version 2"), "{rotated:?}");
    let v2 = std::fs::read_to_string(&out2).unwrap();
    assert!(v2.len() == 89 && v2 != v1 && store.verifies(&master(), "client-a", v2.trim_end()));

    // A refused change leaves no empty file behind.
    let out3 = store.dir.join("v3");
    assert_eq!(store.keys("create", &["client-a", "--out", out3.to_str().unwrap()]).code, 1);
    assert_eq!(store.run("rotate", &["client-a", "--grace", "1", "--out", out3.to_str().unwrap()], &[]).code, 3);
    assert!(!out3.exists());
}

#[test]
fn revoke_a_key_id_or_one_version() {
    let store = Store::new("revoke");
    let a1 = store.secret("create", &["client-a"]);
    let a2 = store.secret("rotate", &["client-a", "--grace", "600"]);
    store.secret("create", &["client-b"]);
    let one = store.keys("revoke", &["client-a", "--version", "1"]);
    assert!(one.ok().is_empty() && one.stderr.contains("version 1"), "{one:?}");
    assert_eq!(store.states(&[]), [row("client-a", 2, "Active"), row("client-a", 1, "Revoked"), row("client-b", 1, "Active")]);
    assert!(!store.verifies(&master(), "client-a", &a1) && store.verifies(&master(), "client-a", &a2));

    store.keys("revoke", &["client-b"]).ok();
    assert_eq!(store.states(&[]), [row("client-a", 2, "Active"), row("client-a", 1, "Revoked"), row("client-b", 1, "Revoked")]);
    assert!(store.keys("list", &[]).ok().lines().last().unwrap().ends_with("Revoked"));

    for args in [&["client-b"][..], &["client-a", "--version", "9"], &["client-z"]] {
        let nothing = store.keys("revoke", args);
        assert_eq!(nothing.code, 1, "{args:?}: {nothing:?}");
        assert!(nothing.stderr.starts_with("hmacsig: no live secret"), "{nothing:?}");
    }
}

#[test]
fn a_wrong_or_missing_master_key_fails_and_changes_nothing() {
    let store = Store::new("master");
    store.secret("create", &["client-a"]);
    let before = store.files();
    assert_eq!(before.len(), 1, "only the database once every process is done");
    let out = store.dir.join("never");
    let out_arg = out.to_str().unwrap();
    let new_key = [("NEW_MASTER", other_master())];
    let commands: [(&str, &[&str]); 6] = [
        ("list", &[]),
        ("create", &["client-b", "--out", out_arg]),
        ("rotate", &["client-a", "--grace", "0"]),
        ("revoke", &["client-a"]),
        ("rekey", &["--new-master-key-env", "NEW_MASTER"]),
        ("list", &["--json"]),
    ];
    for (command, args) in commands {
        let wrong = other_master();
        let cases: [(Option<&str>, &str); 4] = [
            (Some(&wrong), "does not open the store"),
            (None, "HMACSIG_MASTER_KEY (the key store's master key, 32 bytes base64) is not set"),
            (Some(""), "is not set or empty"),
            (Some("not base64!"), "HMACSIG_MASTER_KEY: the master key is not base64"),
        ];
        for (key, says) in cases {
            let mut env: Vec<(&str, &str)> = new_key.iter().map(|(n, v)| (*n, v.as_str())).collect();
            env.extend(key.map(|k| (MASTER_VAR, k)));
            let run = store.run(command, args, &env);
            assert_eq!(run.code, 3, "{command} {key:?}: {run:?}");
            assert!(run.stdout.is_empty() && run.stderr.contains(says) && run.stderr.lines().count() == 1, "{command} {key:?}: {run:?}");
            assert_eq!(store.files(), before, "{command} {key:?} changed the store");
            assert!(!out.exists());
        }
    }
    let no_store = Store::new("no-store");
    let run = no_store.keys("list", &[]);
    assert!(run.code == 3 && run.stderr.contains("no key store at"), "{run:?}");
    assert!(!no_store.path.exists(), "list makes no store");
}

#[test]
fn rekey_moves_the_store_to_the_new_master_key() {
    let store = Store::new("rekey");
    let secret = store.secret("create", &["client-a"]);
    let unset = store.keys("rekey", &["--new-master-key-env", "NEW_MASTER"]);
    assert!(unset.code == 3 && unset.stderr.contains("NEW_MASTER (the new master key) is not set"), "{unset:?}");
    let malformed = store.run("rekey", &["--new-master-key-env", "NEW_MASTER"], &[(MASTER_VAR, &master()), ("NEW_MASTER", "abc")]);
    assert!(malformed.code == 3 && malformed.stderr.contains("NEW_MASTER: the master key is"), "{malformed:?}");
    let same = store.keys("rekey", &["--new-master-key-env", MASTER_VAR]);
    assert_eq!(same.code, 2, "{same:?}");
    assert!(store.verifies(&master(), "client-a", &secret), "still the old key");

    let new = other_master();
    let done = store.run("rekey", &["--new-master-key-env", "NEW_MASTER"], &[(MASTER_VAR, &master()), ("NEW_MASTER", &new)]);
    assert!(done.ok().is_empty() && done.stderr.contains("re-encrypted"), "{done:?}");
    assert!(!done.stderr.contains(&new));
    let old = store.keys("list", &[]);
    assert!(old.code == 3 && old.stderr.contains("does not open the store"), "{old:?}");
    let listed = store.run("list", &[], &[(MASTER_VAR, &new)]);
    assert!(listed.ok().contains("client-a"), "{listed:?}");
    assert!(store.verifies(&new, "client-a", &secret), "the secret survives the rekey");
    assert!(KeyStore::open(store.url.clone(), Some(master())).is_err());
}

#[test]
fn new_master_keys_are_32_random_bytes() {
    let run = |_: u8| keys(&["new-master-key"], &[]).ok().to_owned();
    let (a, b) = (run(0), run(1));
    assert_ne!(a, b);
    assert_eq!(BASE64.decode(a.strip_suffix('\n').unwrap()).unwrap().len(), 32);
    let store = Store::new("new-master");
    let created = store.run("create", &["k"], &[(MASTER_VAR, a.trim_end())]);
    assert_eq!(created.ok().len(), 89);
    let _: Arc<KeyStore> = KeyStore::open(store.url.clone(), Some(a.trim_end().to_owned())).unwrap();
}

#[test]
fn usage_errors_and_help() {
    let store = Store::new("usage");
    for (command, args) in [("create", &[""][..]), ("create", &["bad\nid"])] {
        let run = store.keys(command, args);
        assert!(run.code == 2 && run.stderr.contains("a key id is"), "{run:?}");
    }
    let url = keys(&["list", "--store", "mysql://x"], &[]);
    assert_eq!(url.code, 3, "the master key is checked first: {url:?}");
    let url = keys(&["list", "--store", "mysql://x"], &[(MASTER_VAR, &master())]);
    assert!(url.code == 2 && url.stderr.contains("a store URL is sqlite:PATH"), "{url:?}");
    // No option takes a master key.
    for flag in ["--master-key", "--key"] {
        let run = keys(&["create", "k", "--store", &store.url, flag, "abc"], &[(MASTER_VAR, &master())]);
        assert_eq!(run.code, 2, "{flag}: {run:?}");
    }
    assert_eq!(keys(&["create", "k"], &[(MASTER_VAR, &master())]).code, 2, "--store is required");
    assert!(!Path::new(&store.path).exists());
    for help in [&["keys", "--help"][..], &["keys", "create", "--help"], &["keys", "rekey", "--help"]] {
        let text = keys(&help[1..], &[]).ok().to_owned();
        assert!(text.contains("HMACSIG_MASTER_KEY") && text.contains("command line"), "{help:?}: {text}");
    }
}
