//! `qcity`: the one binary. Serves the platform and administers it from the command line.

mod bench;
mod check;
mod cli;
mod delivery;
mod demo;
mod demo_registry;
mod plan_cmd;

fn main() -> std::process::ExitCode {
    cli::main()
}
