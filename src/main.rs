//! The `partnerctl` binary: clap arguments → a library call → a report → an exit code.
//! Exit codes: 0 success with no errors, 1 findings of severity error (or a failed apply),
//! 2 usage or I/O problem, 3 (`plan --detailed-exitcode`) changes present.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
