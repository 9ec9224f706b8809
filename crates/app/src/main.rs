//! `qcity`: the one binary. Serves the platform and administers it from the command line.

mod bench;
mod bench_city;
mod bench_complaints;
mod bench_reports;
mod bench_sampling;
mod check;
mod cli;
mod delivery;
mod demo;
mod first_start;
mod import_cmd;
mod plan_cmd;

fn main() -> std::process::ExitCode {
    cli::main()
}
