//! `partnerctl completions SHELL` and `partnerctl man`: generated from the command-line
//! definition itself (clap_complete, clap_mangen), so they never disagree with it.

use super::{Cli, EXIT_OK};
use anyhow::Context as _;
use clap::CommandFactory;
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(clap::Args, Debug)]
pub struct ManArgs {
    /// Write `partnerctl.1` and one page per command (`partnerctl-plan.1`, ...) into DIR,
    /// instead of printing `partnerctl.1`.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

pub fn run(args: &CompletionsArgs) -> anyhow::Result<u8> {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "partnerctl", &mut out);
    std::io::stdout().lock().write_all(&out)?;
    Ok(EXIT_OK)
}

pub fn man(args: &ManArgs) -> anyhow::Result<u8> {
    let cmd = Cli::command();
    match &args.out_dir {
        None => {
            let mut out = Vec::new();
            clap_mangen::Man::new(cmd).render(&mut out)?;
            std::io::stdout().lock().write_all(&out)?;
        }
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
            clap_mangen::generate_to(cmd, dir).with_context(|| format!("cannot write to {}", dir.display()))?;
            let mut written: Vec<String> = std::fs::read_dir(dir)?
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".1"))
                .collect();
            written.sort();
            let mut stdout = std::io::stdout().lock();
            for name in written {
                writeln!(stdout, "{}", dir.join(name).display())?;
            }
        }
    }
    Ok(EXIT_OK)
}
