//! `examples/cli/README.md` runs as written: every `console` block's
//! commands, in one shell session in a copy of `examples/cli`, print exactly
//! the output the README shows; every `sh` block succeeds. The live-server
//! section talks to a stand-in for `examples/python/verifying_server.py` (it
//! verifies with `hmacsig verify` and answers the same way) on a free port.

mod common;

use std::path::{Path, PathBuf};

use common::{SECRET_VAR, hmacsig, serve, sh};

const EXAMPLE_SERVER: &str = "127.0.0.1:8080";

fn example_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/cli")
}

/// The contents of every fenced block of `lang`.
fn blocks(readme: &str, lang: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in readme.lines() {
        match &mut current {
            None if line.trim_end() == format!("```{lang}") => current = Some(String::new()),
            None => {}
            Some(_) if line.trim_end() == "```" => out.push(current.take().expect("inside a block")),
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
        }
    }
    assert!(current.is_none(), "an unclosed ```{lang} block");
    out
}

/// A console block as (the commands, the output they print): `$ ` starts a
/// command, and lines after one ending in `\` continue it.
fn commands_and_output(block: &str) -> (String, String) {
    let (mut script, mut output, mut continuing) = (String::new(), String::new(), false);
    for line in block.lines() {
        if let Some(command) = line.strip_prefix("$ ").filter(|_| !continuing) {
            script.push_str(command);
            script.push('\n');
            continuing = command.ends_with('\\');
        } else if continuing {
            script.push_str(line);
            script.push('\n');
            continuing = line.ends_with('\\');
        } else {
            output.push_str(line);
            output.push('\n');
        }
    }
    (script, output)
}

/// Answers as `verifying_server.py` does: `verified: <key id>`, or the
/// error's status and `<kind>: <reason>`.
fn example_server() -> String {
    serve(|raw| {
        let out = hmacsig(
            &["verify", "--scheme", "path-body-hex", "--key-id", "quotes-app", "--secret-env", SECRET_VAR],
            Some("s3cr3t-token"),
            raw,
        );
        match out.stdout.strip_prefix("ok: key id ") {
            Some(key_id) => (200, format!("verified: {key_id}")),
            None => (hmacsig::http_status(out.stdout.split(':').next().unwrap_or("")), out.stdout),
        }
    })
}

#[test]
fn the_readme_runs_as_written() {
    let readme = std::fs::read_to_string(example_dir().join("README.md")).unwrap();
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-readme-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(example_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().is_some_and(|n| n != "README.md") {
            std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
        }
    }
    let server = example_server();
    const END: &str = "@@ end of block @@";
    let (mut script, mut expected) = (String::new(), Vec::new());
    for block in blocks(&readme, "console") {
        let (commands, output) = commands_and_output(&block);
        script.push_str(&commands.replace(EXAMPLE_SERVER, &server));
        script.push_str(&format!("echo '{END}'\n"));
        expected.push(output.replace(EXAMPLE_SERVER, &server));
    }
    assert!(expected.len() >= 6, "the README lost its examples");
    let run = sh(&script, None, Some(&dir));
    let outputs: Vec<&str> = run.stdout.split(&format!("{END}\n")).collect();
    assert_eq!(outputs.len(), expected.len() + 1, "stderr: {}", run.stderr);
    for (got, want) in outputs.iter().zip(&expected) {
        assert_eq!(got, want, "a README block printed something else; stderr: {}", run.stderr);
    }

    let sh_blocks = blocks(&readme, "sh");
    assert!(!sh_blocks.is_empty());
    for block in sh_blocks {
        let run = sh(&block, None, Some(&dir));
        assert_eq!(run.code, 0, "{block}: {run:?}");
        if block.trim() == "hmacsig keygen" {
            assert_eq!(run.stdout.trim_end().len(), 88, "{}", run.stdout);
        }
    }
}
