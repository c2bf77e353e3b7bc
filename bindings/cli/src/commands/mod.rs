//! One module per subcommand. Each returns its whole [`Output`], written by
//! `main`, or a [`crate::error::CliError`].

pub mod explain;
pub mod keygen;
pub mod keys;
pub mod request;
pub mod sign;
pub mod verify;

/// What a command prints, and its exit code (0 or 1; errors are `CliError`s).
#[derive(Debug, Default)]
pub struct Output {
    pub stdout: String,
    pub stderr: String,
    pub code: u8,
}

impl Output {
    pub fn ok(stdout: String) -> Self {
        Self { stdout, stderr: String::new(), code: 0 }
    }
}
