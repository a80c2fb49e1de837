//! Printing findings in every format: text (like a compiler: the line, a caret, the code, a
//! hint), json (SPEC §3, exactly), github (workflow annotations), markdown (a pull-request
//! comment) and sarif (code scanning).

use super::{Common, Format};
use codespan_reporting::diagnostic::{Diagnostic as Report, Label, Severity as ReportSeverity};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, termcolor};
use partnerctl::diag::{Code, Diagnostic, Severity, counts};
use partnerctl::encode::{github, markdown, text};
use partnerctl::source::Snapshot;
use serde_json::json;
use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::path::Path;

/// Prints findings in the chosen format. `files` is how many files were read.
pub fn print(diags: &[Diagnostic], files: usize, snapshot: &Snapshot, common: &Common) -> anyhow::Result<()> {
    let mut out = super::Out::new(common.format);
    match common.format {
        Format::Text => print_text(diags, files, snapshot, &mut out)?,
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&json_report(diags))?)?,
        Format::Github => write!(out, "{}", github(diags, &common.dir))?,
        Format::Markdown => write!(out, "{}", markdown(diags, files))?,
        Format::Sarif => {
            let log = super::sarif::log(diags, snapshot, |f| display_path(&common.dir, f));
            writeln!(out, "{}", serde_json::to_string_pretty(&log)?)?
        }
    }
    out.finish()?;
    Ok(())
}

/// The summary line: `2 errors, 1 warning in 41 files`.
pub fn summary(diags: &[Diagnostic], files: usize) -> String {
    let (errors, warnings) = counts(diags);
    let plural = |n: usize, word: &str| {
        if n == 1 {
            format!("{n} {word}")
        } else {
            format!("{n} {word}s")
        }
    };
    if errors == 0 && warnings == 0 {
        format!("no problems in {}", plural(files, "file"))
    } else {
        format!(
            "{}, {} in {}",
            plural(errors, "error"),
            plural(warnings, "warning"),
            plural(files, "file")
        )
    }
}

/// Whether to colour stdout: only on a terminal, and never with `NO_COLOR` set.
pub fn color_choice() -> termcolor::ColorChoice {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    if !no_color && std::io::stdout().is_terminal() {
        termcolor::ColorChoice::Auto
    } else {
        termcolor::ColorChoice::Never
    }
}

fn print_text(diags: &[Diagnostic], files: usize, snapshot: &Snapshot, out: &mut impl Write) -> anyhow::Result<()> {
    out.write_all(&frames(diags, snapshot)?)?;
    writeln!(out, "{}", summary(diags, files))?;
    Ok(())
}

/// Findings as a compiler shows them (the line, a caret, the code, a hint), for `validate`
/// and for the findings of a text plan.
pub fn frames(diags: &[Diagnostic], snapshot: &Snapshot) -> anyhow::Result<Vec<u8>> {
    // Snippets go to a buffer, so that they pass through the same redaction and line guard
    // as the rest of the output.
    let mut writer = if color_choice() == termcolor::ColorChoice::Never {
        termcolor::Buffer::no_color()
    } else {
        termcolor::Buffer::ansi()
    };
    let config = term::Config::default();
    let mut store = SimpleFiles::new();
    let mut ids: HashMap<&str, Option<usize>> = HashMap::new();
    for d in diags {
        // The source, message, hint and file name are the repository's: escaped, so that they
        // cannot move the cursor, recolour the terminal or start a line of their own.
        let id = *ids.entry(d.file.as_str()).or_insert_with(|| {
            snapshot
                .text(&d.file)
                .map(|text| store.add(text::escape(&d.file).into_owned(), text::source(&text).into_owned()))
        });
        let severity = match d.severity {
            Severity::Error => ReportSeverity::Error,
            Severity::Warning => ReportSeverity::Warning,
        };
        let message = text::escape(&d.message);
        let hint = d.hint.as_deref().map(text::escape);
        let mut report = Report::new(severity).with_code(d.code.as_str()).with_message(&*message);
        if let Some(hint) = &hint {
            report = report.with_notes(vec![format!("hint: {hint}")]);
        }
        // A secret's line is never shown: the finding points at it without repeating it.
        let source = id.filter(|_| d.code != Code::SecretInRepo);
        match source {
            Some(id) => {
                let text = store.get(id).map(|f| f.source().clone()).unwrap_or_default();
                let range = span(&text, d.line, d.column);
                report = report.with_labels(vec![Label::primary(id, range)]);
                term::emit_to_write_style(&mut writer, &config, &store, &report)?;
            }
            None => {
                let sev = d.severity.as_str();
                writeln!(writer, "{sev}[{}]: {message}", d.code)?;
                writeln!(writer, "  --> {}:{}:{}", text::escape(&d.file), d.line, d.column)?;
                if let Some(hint) = &hint {
                    writeln!(writer, "  = hint: {hint}")?;
                }
                writeln!(writer)?;
            }
        }
    }
    Ok(writer.into_inner())
}

/// The byte range of the token at a 1-based line and character column.
fn span(text: &str, line: usize, column: usize) -> std::ops::Range<usize> {
    let mut offset = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            let start = offset
                + l.char_indices()
                    .nth(column.saturating_sub(1))
                    .map(|(b, _)| b)
                    .unwrap_or(0);
            let rest = &text[start..];
            // A flow mapping or list is underlined whole, up to its closing bracket on the line.
            if let Some(open @ ('{' | '[')) = rest.chars().next() {
                let close = if open == '{' { '}' } else { ']' };
                let mut depth = 0usize;
                for (b, c) in rest.char_indices() {
                    if c == '\n' {
                        break;
                    }
                    if c == open {
                        depth += 1;
                    } else if c == close {
                        depth -= 1;
                        if depth == 0 {
                            return start..start + b + 1;
                        }
                    }
                }
            }
            let len = rest
                .char_indices()
                .find(|(_, c)| matches!(c, '\n' | ',' | '}' | ']' | '#'))
                .map(|(b, _)| b)
                .unwrap_or(rest.len());
            let len = rest[..len].trim_end().len().max(1).min(rest.len().max(1));
            return start..(start + len).min(text.len());
        }
        offset += l.len();
    }
    text.len()..text.len()
}

/// `validate --format json`: exactly the keys of SPEC §3.
pub fn json_report(diags: &[Diagnostic]) -> serde_json::Value {
    let (errors, warnings) = counts(diags);
    json!({
        "ok": errors == 0,
        "errors": errors,
        "warnings": warnings,
        "diagnostics": diags.iter().map(json_diag).collect::<Vec<_>>(),
    })
}

/// One diagnostic as SPEC §3 writes it.
pub fn json_diag(d: &Diagnostic) -> serde_json::Value {
    json!({
        "code": d.code.as_str(),
        "severity": d.severity.as_str(),
        "message": d.message,
        "file": d.file,
        "line": d.line,
        "column": d.column,
    })
}

/// The path of a repository file as seen from the current directory, so that annotations
/// land on the right file when the program lives in a sub-folder of the checkout (`-C`).
fn display_path(dir: &Path, file: &str) -> String {
    let prefix = dir.to_string_lossy().replace('\\', "/");
    let prefix = prefix.trim_start_matches("./").trim_end_matches('/');
    if prefix.is_empty() || prefix == "." || dir.is_absolute() {
        file.to_string()
    } else {
        format!("{prefix}/{file}")
    }
}

/// GitHub workflow commands: `::error file=…,line=…,col=…,title=CODE::message`.
pub fn github(diags: &[Diagnostic], dir: &Path) -> String {
    let mut s = String::new();
    for d in diags {
        let level = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        // The value's own newlines are escaped first: the only line break in the data is
        // the one before the hint.
        let mut message = text::escape(&d.message).into_owned();
        if let Some(h) = &d.hint {
            message.push_str(&format!("\nhint: {}", text::escape(h)));
        }
        s.push_str(&format!(
            "::{level} file={},line={},col={},title={}::{}\n",
            github::property(&text::escape(&display_path(dir, &d.file))),
            d.line,
            d.column,
            github::property(d.code.as_str()),
            github::data(&message)
        ));
    }
    s
}

/// A pull-request comment: a verdict, then a table of findings.
pub fn markdown(diags: &[Diagnostic], files: usize) -> String {
    let (errors, _) = counts(diags);
    let mut s = String::new();
    let mark = if errors == 0 { "✅" } else { "❌" };
    s.push_str(&format!(
        "### {mark} partnerctl validate\n\n{}\n",
        summary(diags, files)
    ));
    if !diags.is_empty() {
        s.push_str("\n| | code | where | finding |\n|---|---|---|---|\n");
        for d in diags {
            let icon = if d.severity == Severity::Error { "❌" } else { "⚠️" };
            let mut msg = markdown::message(&d.message);
            if let Some(h) = &d.hint {
                msg.push_str(&format!("<br>_{}_", markdown::message(h)));
            }
            s.push_str(&format!(
                "| {icon} | `{}` | {} | {msg} |\n",
                d.code,
                markdown::code(&format!("{}:{}:{}", d.file, d.line, d.column))
            ));
        }
    }
    s
}
