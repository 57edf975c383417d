//! The `drready` binary: parse arguments, run, and map the outcome to an exit code (`cli::exit`).

use clap::Parser;
use drready::cli::{self, Cli, Exit};
use drready::util::error::Error;

fn main() {
    let cli = Cli::parse_from(std::env::args_os());
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let code = match cli::run(cli, &mut out) {
        Ok(exit) => exit.code(),
        // A closed pipe (`drready audit | head`) is not an error.
        Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::BrokenPipe => {
            Exit::Ok.code()
        }
        Err(e) => {
            eprintln!("error: {}", drready::util::text::escape(&e.to_string()));
            Exit::Error.code()
        }
    };
    std::process::exit(code);
}
