//! The `drready` binary: parse arguments, run, and map the outcome to an exit code (see `gate`).

use clap::Parser;
use drready::cli::{self, Cli};
use drready::error::Error;
use drready::gate;

fn main() {
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
    std::process::exit(code);
}
