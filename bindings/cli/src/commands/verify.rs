//! `hmacsig verify`: a raw HTTP/1.1 request on stdin, checked as a server would.

use super::Output;
use crate::args::VerifyArgs;
use crate::error::{CliError, CliResult, EXIT_REFUSED, kind_and_reason};
use crate::http::parse_request;
use crate::input::{read_secret, read_stdin};
use crate::options;

/// Verifies with a server's `Verifier` holding one key (`--key-id`): prints
/// `ok: key id <id>` (exit 0) or `<kind>: <reason>` (exit 1). Notes about
/// ignored input go to stderr.
pub fn run(args: VerifyArgs) -> CliResult<Output> {
    let scheme = options::scheme(&args.scheme)?;
    let policy = options::policy(&args.scheme, &args.policy)?;
    let secret = read_secret(&args.key.secret)?;
    let raw = parse_request(&read_stdin("the request")?).map_err(|e| CliError::input(format!("malformed request: {e}")))?;
    let verifier = options::verifier(scheme, policy, &args.key.key_id, &secret)?;
    let stderr: String = raw.notes.iter().map(|n| format!("note: {n}\n")).collect();
    Ok(match verifier.verify_request(raw.request, Some(options::now_or_clock(args.now))) {
        Ok(key_id) => Output { stdout: format!("ok: key id {key_id}\n"), stderr, code: 0 },
        Err(e) => {
            let hint =
                if e.kind() == "bad_signature" { "hint: `hmacsig explain --raw` with the same options shows what differs\n" } else { "" };
            Output { stdout: format!("{}\n", kind_and_reason(&e)), stderr: format!("{stderr}{hint}"), code: EXIT_REFUSED }
        }
    })
}
