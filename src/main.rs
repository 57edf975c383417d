//! The `drready` binary: parse arguments, run, and map the outcome to an exit code (see `gate`).

use clap::Parser;
use drready::cli::{self, Cli};
use drready::decide::gate;
use drready::util::error::Error;

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
            eprintln!("error: {}", drready::util::text::escape(&e.to_string()));
            gate::EXIT_ERROR
        }
    };
    std::process::exit(code);
}
