//! The key store in PostgreSQL, against a real server this test starts on
//! loopback (Debian's `postgresql`; `cargo xtask test` installs it): a fresh
//! cluster made with `initdb` as the `postgres` user in a temporary folder.
//! Two `KeyStore`s on one database stand for two servers of a fleet.

#![cfg(feature = "server")]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hmacsig::{Credentials, Header, KeyState, KeyStore, KeyStoreError, Request, Scheme, Signer, Verifier};

const MASTER: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
const OTHER_MASTER: &str = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY=";
const NOW: i64 = 1_700_000_000;

/// A PostgreSQL cluster of this test's own, stopped and removed on drop.
struct Postgres {
    server: Child,
    dir: PathBuf,
    url: String,
}

fn bin_dir() -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is not installed (cargo xtask test installs Debian's postgresql)")
        .map(|e| e.unwrap().path().join("bin"))
        .filter(|bin| bin.join("initdb").is_file())
        .collect();
    versions.sort();
    versions.pop().expect("no initdb under /usr/lib/postgresql/*/bin")
}

fn as_postgres(program: &Path) -> Command {
    // PostgreSQL refuses to run as root: run it as Debian's postgres user.
    let mut cmd = Command::new("runuser");
    cmd.args(["-u", "postgres", "--"]).arg(program);
    cmd
}

impl Postgres {
    fn start() -> Self {
        let bin = bin_dir();
        let dir = std::env::temp_dir().join(format!("hmacsig-pg-{}-{}", std::process::id(), rand_suffix()));
        std::fs::create_dir_all(&dir).unwrap();
        let chown = Command::new("chown").args(["-R", "postgres:postgres"]).arg(&dir).status().unwrap();
        assert!(chown.success(), "chown to the postgres user failed (the test runs as root, as CI does)");
        let initdb = as_postgres(&bin.join("initdb"))
            .args(["-D"])
            .arg(dir.join("data"))
            .args(["-A", "trust", "-U", "postgres", "--no-sync"])
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(initdb.success(), "initdb failed");
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let server = as_postgres(&bin.join("postgres"))
            .arg("-D")
            .arg(dir.join("data"))
            .arg("-k")
            .arg(&dir)
            .args(["-c", "listen_addresses=127.0.0.1", "-p", &port.to_string(), "-c", "fsync=off"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let url = format!("postgres://postgres@127.0.0.1:{port}/postgres");
        let started = Instant::now();
        while postgres_ready(&url).is_err() {
            assert!(started.elapsed() < Duration::from_secs(30), "PostgreSQL did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        let version =
            String::from_utf8_lossy(&Command::new(bin.join("postgres")).arg("--version").output().unwrap().stdout).trim().to_owned();
        println!("{version} running for this test at {url}");
        Self { server, dir, url }
    }
}

fn postgres_ready(url: &str) -> Result<(), KeyStoreError> {
    // Opening a store is a connection; a throwaway master key in a database
    // without tables would create them, so probe with a TCP connect instead.
    let port: u16 = url.rsplit(':').next().unwrap().split('/').next().unwrap().parse().unwrap();
    std::net::TcpStream::connect(("127.0.0.1", port)).map(|_| ()).map_err(|e| KeyStoreError::Storage { reason: e.to_string() })?;
    std::thread::sleep(Duration::from_millis(200)); // accepting connections is not yet accepting logins
    Ok(())
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos() as u64
}

impl Drop for Postgres {
    fn drop(&mut self) {
        // runuser does not pass signals on: pg_ctl stops the server itself.
        let _ = as_postgres(&bin_dir().join("pg_ctl"))
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(["stop", "-m", "immediate", "-w"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.server.kill();
        let _ = self.server.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn signed(key_id: &str, secret: &str, now: i64) -> Request {
    let signer = Signer::new(
        Scheme::api_auth("sha256".into(), vec![], None).unwrap(),
        Arc::new(Credentials::new(key_id.into(), secret.as_bytes().to_vec())),
    );
    let mut r = Request { method: "GET".into(), target: "/orders".into(), headers: vec![Header::new("Host", "a.example")], body: vec![] };
    r.headers.extend(signer.sign_request(r.clone(), Some(now)).unwrap().headers);
    r
}

fn verifier(store: Arc<KeyStore>) -> Verifier {
    Verifier::with_store(Scheme::api_auth("sha256".into(), vec![], None).unwrap(), store, None, None).unwrap()
}

#[test]
fn a_fleet_shares_one_postgres_store() {
    let pg = Postgres::start();
    // Server A creates the key; server B, with its own connection, verifies with it.
    let a = KeyStore::open(pg.url.clone(), Some(MASTER.into())).unwrap();
    let secret = a.create("client-1".into()).unwrap();
    let b = KeyStore::open(pg.url.clone(), Some(MASTER.into())).unwrap();
    assert_eq!(verifier(b.clone()).verify_request(signed("client-1", &secret, NOW), Some(NOW)).unwrap(), "client-1");

    // A rotates with a grace period: a fresh verifier on B accepts both, then only the new one.
    let new = a.rotate("client-1".into(), 600, Some(NOW)).unwrap();
    let b_fresh = KeyStore::open(pg.url.clone(), Some(MASTER.into())).unwrap();
    let v = verifier(b_fresh.clone());
    assert_eq!(v.verify_request(signed("client-1", &secret, NOW + 5), Some(NOW + 5)).unwrap(), "client-1");
    assert_eq!(v.verify_request(signed("client-1", &new, NOW + 5), Some(NOW + 5)).unwrap(), "client-1");
    assert_eq!(v.verify_request(signed("client-1", &secret, NOW + 601), Some(NOW + 601)).unwrap_err().kind(), "bad_signature");
    let states: Vec<(u32, KeyState)> = b_fresh.list(Some(NOW + 5)).unwrap().iter().map(|k| (k.version, k.state)).collect();
    assert_eq!(states, vec![(2, KeyState::Active), (1, KeyState::Expiring)]);
    assert!(matches!(b.create("client-1".into()), Err(KeyStoreError::AlreadyExists { .. })));

    // A wrong master key is refused and changes nothing.
    let before = format!("{:?}", b_fresh.list(Some(NOW)).unwrap());
    assert!(matches!(KeyStore::open(pg.url.clone(), Some(OTHER_MASTER.into())), Err(KeyStoreError::MasterKey { .. })));
    assert_eq!(format!("{:?}", b_fresh.list(Some(NOW)).unwrap()), before);

    // Rekey in one transaction; afterwards only the new master key opens it.
    a.rekey(OTHER_MASTER.into()).unwrap();
    assert!(matches!(KeyStore::open(pg.url.clone(), Some(MASTER.into())), Err(KeyStoreError::MasterKey { .. })));
    let rekeyed = KeyStore::open(pg.url.clone(), Some(OTHER_MASTER.into())).unwrap();
    assert_eq!(verifier(rekeyed.clone()).verify_request(signed("client-1", &new, NOW), Some(NOW)).unwrap(), "client-1");

    // Revoke; and no secret is in the database in clear.
    rekeyed.revoke("client-1".into(), None).unwrap();
    assert_eq!(verifier(rekeyed).verify_request(signed("client-1", &new, NOW), Some(NOW)).unwrap_err().kind(), "unknown_key");
    let dump = Command::new(bin_dir().join("pg_dump")).arg(&pg.url).args(["--data-only", "--inserts"]).output().unwrap();
    assert!(dump.status.success());
    let dump = String::from_utf8_lossy(&dump.stdout);
    assert!(dump.contains("hmacsig_secrets"), "the dump holds the table");
    for s in [&secret, &new] {
        assert!(!dump.contains(s.as_str()), "a secret is in the database in clear");
    }
}

#[test]
fn a_store_that_is_down_is_key_lookup_failed() {
    let pg = Postgres::start();
    let store = KeyStore::open(pg.url.clone(), Some(MASTER.into())).unwrap();
    let secret = store.create("client-1".into()).unwrap();
    drop(pg); // the server stops
    let err = verifier(store).verify_request(signed("client-1", &secret, NOW), Some(NOW)).unwrap_err();
    assert_eq!(err.kind(), "key_lookup_failed");
}
