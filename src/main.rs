//! The `drready` binary: parse arguments, run, and map the outcome to an exit code (see `gate`).

use clap::Parser;
use drready::cli::{self, Cli};
use drready::error::Error;
use drready::gate;

/// The stack drready runs on: Cedar's parser and evaluator recurse on a policy's nesting, and a
/// policy from `--policies` or an evidence bundle must give an error, never a stack overflow.
const STACK_BYTES: usize = 256 << 20;

fn main() {
    let code = std::thread::Builder::new()
        .name("drready".into())
        .stack_size(STACK_BYTES)
        .spawn(run)
        .ok()
        .and_then(|h| h.join().ok())
        .unwrap_or(gate::EXIT_ERROR);
    std::process::exit(code);
}

fn run() -> i32 {
    let cli = Cli::parse_from(std::env::args_os());
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let code = match cli::run(cli, &mut out) {
        Ok(code) => code,
        // A closed pipe (`drready audit | head`) is not an error.
        Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::BrokenPipe => {
            gate::EXIT_OK
        }
        Err(e) => {
            eprintln!("error: {}", drready::text::escape(&e.to_string()));
            gate::EXIT_ERROR
        }
    };
    code
}
