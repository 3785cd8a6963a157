//! The `nrr` binary: parse arguments, run a command, map the outcome to an exit code.
// The binary prints: its output is stdout, its messages stderr.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod args;
mod cmd;
mod errors;
mod progress;
mod render;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args = args::parse();
    match cmd::run(args) {
        Ok(code) => code,
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            // Messages may quote the data: control characters are escaped, line by line.
            let text = errors::describe(&err);
            let lines: Vec<_> = text.lines().map(nrr_io::printable).collect();
            eprintln!("error: {}", lines.join("\n"));
            ExitCode::from(cmd::exit_code_for(&err))
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
