//! The `partnerctl` binary: clap arguments → a library call → a report → an exit code.
//! Exit codes: 0 success with no errors, 1 findings of severity error (or a failed apply),
//! 2 usage or I/O problem, 3 (`plan --detailed-exitcode`) changes present.

mod cli;

// The global allocator is mimalloc, installed by regorus (its `allocator-memory-limits`
// feature): loading a program allocates many small strings and maps from several threads,
// which mimalloc handles markedly faster than the system allocator (see bench/README.md), and
// this build of it counts the bytes it hands out, which is how the policy engine's memory
// budget stops a rule set that grows past it (src/policy/budget.rs). It counts only while that
// budget is enforced (vendor/regorus-mimalloc/PATCHES.md).

fn main() -> std::process::ExitCode {
    // Counting is needed only while the policies run under their memory budget, which turns
    // it on (src/policy/budget.rs); elsewhere it was a twentieth of validate's instructions.
    regorus_mimalloc::mimalloc::set_counting(false);
    cli::main()
}
