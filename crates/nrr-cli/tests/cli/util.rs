//! Helpers shared by the modules of the CLI test binary: where the repository and its fixtures
//! are, a fixture's arguments, copying a directory, and running `nrr`.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub(crate) fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repository root")
}

/// Runs `cmd` (described as `what`); panics with its stderr unless it exits 0.
pub(crate) fn succeed(cmd: &mut Command, what: &str) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `tests/fixtures`.
pub(crate) fn fixtures_dir() -> PathBuf {
    repo_root().join("tests/fixtures")
}

/// The fixture folders whose name starts with `prefix`, in name order: at least `min`, so that
/// an empty or misread listing cannot pass. (Used by the Parquet and PostgreSQL modules.)
#[cfg_attr(not(any(feature = "parquet", feature = "postgres")), allow(dead_code))]
pub(crate) fn fixtures_named(prefix: &str, min: usize) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(fixtures_dir())
        .expect("the fixtures directory")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.is_dir())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(prefix))
        })
        .collect();
    dirs.sort();
    assert!(dirs.len() >= min, "{prefix}* fixtures: {dirs:?}");
    dirs
}

/// The arguments of a fixture's `args.txt` (every fixture has one), split on whitespace.
pub(crate) fn fixture_args(dir: &Path) -> Vec<String> {
    let path = dir.join("args.txt");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    text.split_whitespace().map(str::to_string).collect()
}

/// Copies the directory `from` (and its subdirectories) to `to`.
pub(crate) fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("creating a directory");
    for e in std::fs::read_dir(from).expect("reading a directory") {
        let e = e.expect("an entry");
        let target = to.join(e.file_name());
        if e.file_type().expect("a file type").is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).expect("copying a file");
        }
    }
}

/// The `nrr` command under test, with `NO_COLOR=1`.
pub(crate) fn nrr_command() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_nrr"));
    c.env("NO_COLOR", "1");
    c
}

/// `nrr args...`, run to the end.
pub(crate) fn nrr_output(args: &[&str]) -> Output {
    nrr_command().args(args).output().expect("running nrr")
}

/// The JSON on a run's stdout; the run must have succeeded.
pub(crate) fn json_of(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "exit {:?}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

/// A run's stderr, as text.
pub(crate) fn stderr_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}
