//! `qcity`: the one binary. Serves the platform and administers it from the command line.

mod bench;
mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
