//! `hmacsig`: sign requests for curl, verify a raw request, explain a
//! signature mismatch, make a key, manage an encrypted key store. A thin
//! layer over the `hmacsig` crate.
//!
//! Contract: results on stdout; failures on stderr as one line, with the
//! exit codes of [`error`]. Secrets come only from an environment variable
//! or a file and are never printed, except a new one, once (`keygen`,
//! `keys create`, `keys rotate`). The key store's master key comes only from
//! `HMACSIG_MASTER_KEY`.

mod args;
mod commands;
mod curl;
mod error;
mod http;
mod input;
mod options;
mod text;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Sign(a) => commands::sign::run(a),
        Command::Verify(a) => commands::verify::run(a),
        Command::Keygen => commands::keygen::run(),
        Command::Explain(a) => commands::explain::run(a),
        Command::Keys(a) => commands::keys::run(a),
    };
    match result {
        Ok(output) => {
            // A closed pipe (`| head`) is not an error worth a panic.
            let _ = std::io::stdout().lock().write_all(output.stdout.as_bytes());
            let _ = std::io::stderr().lock().write_all(output.stderr.as_bytes());
            ExitCode::from(output.code)
        }
        Err(e) => {
            eprintln!("hmacsig: {}", e.message);
            ExitCode::from(e.code)
        }
    }
}
