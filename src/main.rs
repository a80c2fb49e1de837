//! The `partnerctl` binary: clap arguments → a library call → a report → an exit code.
//! Exit codes: 0 success with no errors, 1 findings of severity error (or a failed apply),
//! 2 usage or I/O problem, 3 (`plan --detailed-exitcode`) changes present.

mod cli;

// Loading a program allocates many small strings and maps from several threads; mimalloc
// handles that pattern markedly faster than the system allocator (see bench/README.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::main()
}
