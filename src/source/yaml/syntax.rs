//! Why a file does not parse, told the way its author made the mistake.
//!
//! The YAML scanner reports where it gave up, in its own words ("while parsing a block
//! mapping, did not find expected key"), and it gives up on the line *after* a key indented
//! one space too far, because that key is what set the mapping's indentation. The everyday
//! mistakes (a key indented differently from its siblings, a line indented under a value, a
//! tab, an unquoted `: ` inside a value, a bracket left open) are recognised here from the
//! text around that place, and reported at the line that holds the mistake, cause first,
//! with a hint that makes the file parse. Anything else keeps the scanner's words.

use crate::diag::{Code, Diagnostic, Location};
use saphyr_parser::ScanError;

/// The finding for a scanner error in `text`.
pub(crate) fn scan_error(file: &str, text: &str, e: &ScanError) -> Diagnostic {
    let (line, column) = (e.marker().line(), e.marker().col() + 1);
    let info = e.info();
    let lines: Vec<&str> = text.lines().collect();
    let explained = if info.contains("tab") {
        Some(tab(&lines, line))
    } else if info.contains("did not find expected key") || info.contains("did not find expected '-' indicator") {
        misaligned(&lines, line, column)
    } else if info.contains("mapping values are not allowed") {
        under_a_value(&lines, line).or_else(|| colon_in_value(&lines, line, column))
    } else if info.contains("flow mapping") || info.contains("flow sequence") {
        unclosed(&lines, line)
    } else {
        None
    };
    match explained {
        Some(Explained {
            line,
            column,
            message,
            hint,
        }) => Diagnostic::new(
            Code::YamlSyntax,
            &Location::new(file, line, column),
            format!("{message} (the YAML parser: {info})"),
        )
        .with_hint(hint),
        None => Diagnostic::new(
            Code::YamlSyntax,
            &Location::new(file, line, column),
            format!("invalid YAML: {info}"),
        ),
    }
}

struct Explained {
    line: usize,
    column: usize,
    message: String,
    hint: String,
}

/// Whether a line holds YAML content (not blank, not only a comment).
fn content(l: &str) -> bool {
    let t = l.trim();
    !t.is_empty() && !t.starts_with('#')
}

fn leading(l: &str) -> usize {
    l.len() - l.trim_start_matches(' ').len()
}

/// The column (0-based) where a line's key or value starts, past any `- ` item markers.
fn key_col(l: &str) -> usize {
    let mut i = leading(l);
    loop {
        let rest = &l[i..];
        if rest == "-" || rest.starts_with("- ") {
            i += 1;
            i += l[i..].len() - l[i..].trim_start_matches(' ').len();
        } else {
            return i;
        }
    }
}

/// What a line is called in a message: `` `name` `` for a key, "the list item" for `- …`.
fn what(l: &str) -> String {
    let t = l.trim_start();
    if t.starts_with("- ") || t == "-" {
        return "the list item".into();
    }
    match key(l) {
        Some(k) => format!("`{k}`"),
        None => "this line".into(),
    }
}

/// The key a line starts with (`name` of `name: zz`), if it is a plain `key:` line.
fn key(l: &str) -> Option<&str> {
    let rest = &l[key_col(l)..];
    let end = rest.find(": ").or_else(|| rest.strip_suffix(':').map(str::len))?;
    let k = rest[..end].trim();
    let plain = !k.is_empty() && !k.ends_with(':') && !k.starts_with(['{', '[', '"', '\'', '&', '*', '!', '#', '?']);
    plain.then_some(k)
}

/// The text after a key's `: `, without a trailing comment.
fn value_after_key(l: &str) -> Option<&str> {
    let rest = &l[key_col(l)..];
    let i = rest.find(": ")?;
    let v = rest[i + 2..].trim();
    let v = v.split(" #").next().unwrap_or("").trim();
    Some(v)
}

fn spaces(n: usize) -> String {
    match n {
        1 => "1 space".into(),
        n => format!("{n} spaces"),
    }
}

/// The step this file indents by: the most common increase of indentation under a line
/// that opens a block (ties go to the smaller step), 2 when the file shows none. The block
/// under `skip` is left out: it is the one in question.
fn unit(lines: &[&str], skip: usize) -> usize {
    let mut counts = [0usize; 9];
    let mut prev: Option<usize> = None;
    for (k, l) in lines.iter().enumerate().filter(|(_, l)| content(l)) {
        if let Some(pk) = prev.filter(|pk| *pk != skip) {
            let p = lines[pk];
            let opens = p.split(" #").next().unwrap_or(p).trim_end().ends_with(':');
            let (from, to) = (key_col(p), leading(l));
            if opens && to > from && to - from < counts.len() {
                counts[to - from] += 1;
            }
        }
        prev = Some(k);
    }
    (1..counts.len())
        .max_by_key(|n| (counts[*n], std::cmp::Reverse(*n)))
        .filter(|n| counts[*n] > 0)
        .unwrap_or(2)
}

/// A key or list item indented differently from the siblings before it: the scanner stops at
/// the first line of the other indentation, which is the mistake only when the lines before
/// it are indented as the file indents.
fn misaligned(lines: &[&str], line: usize, column: usize) -> Option<Explained> {
    let l = line.checked_sub(1)?;
    let here = *lines.get(l)?;
    let i_l = leading(here);
    if column != i_l + 1 {
        return None;
    }
    // The block the line fails in: the lines above it back to the key that opens it.
    let mut block = Vec::new();
    let mut parent = None;
    for k in (0..l).rev() {
        let t = lines[k];
        if !content(t) {
            continue;
        }
        if key_col(t) < i_l {
            parent = Some(k);
            break;
        }
        block.push(k);
    }
    let parent = parent?;
    let first = *block.last()?;
    let first_line = lines[first];
    let lead = leading(first_line);
    if block.iter().any(|k| leading(lines[*k]) < lead) {
        return None;
    }
    // A key after a list item lines up with the item's first key (`- on:` / `  require:`);
    // otherwise the lines line up themselves.
    let is_item = |l: &str| l.trim_start().starts_with("- ");
    // A key cannot join a list of `- {…}` or `- scalar` items: it belongs a level up.
    let key_after_items = is_item(first_line) && !is_item(here);
    let offset = if key_after_items && key(first_line).is_some() {
        key_col(first_line) - lead
    } else {
        0
    };
    let m = lead + offset;
    if m == i_l {
        return None;
    }
    let p_line = lines[parent];
    let p_key = key(p_line)?;
    // Where the block's first line belongs, as this file indents.
    let expected = key_col(p_line) + unit(lines, parent);
    let (this, other) = (what(here), what(first_line));
    let block_right = i_l == expected + offset;
    if lead == expected || (!block_right && offset == 0 && i_l > m) {
        // The line belongs with the block, or a level up beside `p_key`: whichever is
        // nearer, and a level up when it cannot join the block.
        let up = key_col(p_line);
        let joins = !(key_after_items && offset == 0) && i_l.abs_diff(m) <= i_l.abs_diff(up);
        if !joins && i_l > up {
            return Some(Explained {
                line,
                column,
                message: format!(
                    "{this} is indented {}, between `{p_key}` on line {} ({}) and the entries under it ({}): it lines up with neither",
                    spaces(i_l),
                    parent + 1,
                    spaces(up),
                    spaces(m)
                ),
                hint: format!(
                    "indent {this} on line {line} by {}, as `{p_key}` on line {}",
                    spaces(up),
                    parent + 1
                ),
            });
        }
        return Some(Explained {
            line,
            column,
            message: format!(
                "{this} is indented {}, but {other} before it under `{p_key}` (line {}) is indented {}: entries of one mapping or list line up",
                spaces(i_l),
                first + 1,
                spaces(m)
            ),
            hint: format!(
                "indent {this} on line {line} by {}, as {} on line {}",
                spaces(m),
                match (offset, key(first_line)) {
                    (1.., Some(k)) => format!("`{k}`"),
                    _ => other.clone(),
                },
                first + 1
            ),
        });
    }
    let hint = if block_right {
        let last = block.first().copied().unwrap_or(first);
        let lines_named = if last == first {
            format!("line {}", first + 1)
        } else {
            format!("lines {}–{}", first + 1, last + 1)
        };
        let (by, way) = if lead > expected {
            (lead - expected, "left")
        } else {
            (expected - lead, "right")
        };
        let like = if offset == 0 {
            format!("like {this} on line {line}")
        } else {
            format!("as the file indents under `{p_key}`")
        };
        format!(
            "move {lines_named} {} to the {way}, so that {other} is indented {} {like}",
            spaces(by),
            spaces(expected)
        )
    } else {
        format!("indent every entry under `{p_key}` by the same number of spaces ({expected} in this file)")
    };
    Some(Explained {
        line: first + 1,
        column: lead + 1,
        message: format!(
            "{other} is indented {}, but {this} on line {line}, under the same `{p_key}`, is indented {}: entries of one mapping or list line up",
            spaces(lead),
            spaces(i_l)
        ),
        hint,
    })
}

/// A key indented deeper than the `key: value` line above it, which YAML reads as more of
/// that value.
fn under_a_value(lines: &[&str], line: usize) -> Option<Explained> {
    let l = line.checked_sub(1)?;
    let here = *lines.get(l)?;
    let a = (0..l).rev().find(|k| content(lines[*k]))?;
    let above = lines[a];
    let (i_l, q) = (key_col(here), key_col(above));
    let this = key(here)?;
    let value = value_after_key(above)?;
    let opens_block = value.is_empty() || value.starts_with(['|', '>', '&', '!']);
    // A value that holds `: ` is a mistake of its own line, not of this one.
    if i_l <= q || opens_block || value.contains(": ") {
        return None;
    }
    let other = key(above)?;
    // When the line above is the first of its mapping and this one is indented as the file
    // indents under their parent, the line above is the one out of line.
    let parent = (0..a).rev().find(|k| content(lines[*k]));
    // For `- key: value`, the item's dash is what is out of line, its key with it.
    let offset = q - leading(above);
    if let Some(p) = parent
        && key_col(lines[p]) < q
        && lines[p].split(" #").next().unwrap_or("").trim_end().ends_with(':')
        && key_col(lines[p]) + unit(lines, p) + offset == i_l
        && let Some(p_key) = key(lines[p])
    {
        let (what_above, to) = if offset > 0 {
            ("the list item".to_string(), i_l - offset)
        } else {
            (format!("`{other}`"), i_l)
        };
        return Some(Explained {
            line: a + 1,
            column: leading(above) + 1,
            message: format!(
                "`{other}` is indented {}, but `{this}` after it, under the same `{p_key}`, is indented {}: entries of one mapping line up",
                spaces(q),
                spaces(i_l)
            ),
            hint: format!(
                "indent {what_above} on line {} by {}, so that `{other}` lines up with `{this}` on line {line}",
                a + 1,
                spaces(to)
            ),
        });
    }
    Some(Explained {
        line,
        column: i_l + 1,
        message: format!(
            "`{this}` is indented {}, deeper than `{other}` on the line above ({}), so YAML reads it as more of the value of `{other}`",
            spaces(i_l),
            spaces(q)
        ),
        hint: format!("indent `{this}` by {}, as `{other}` above it", spaces(q)),
    })
}

/// `key: some: text`: an unquoted value that holds `: `.
fn colon_in_value(lines: &[&str], line: usize, column: usize) -> Option<Explained> {
    let here = *lines.get(line.checked_sub(1)?)?;
    let k = key(here)?;
    let value = value_after_key(here)?;
    let start = here.find(value)?;
    if column <= start + 1 || value.starts_with(['"', '\'', '{', '[']) {
        return None;
    }
    let quoted = serde_json::Value::String(value.to_string()).to_string();
    Some(Explained {
        line,
        column: start + 1,
        message: format!("the value of `{k}` holds `: `, which YAML reads as the start of another key"),
        hint: format!("quote the value: `{k}: {quoted}`"),
    })
}

/// A tab in the indentation.
fn tab(lines: &[&str], line: usize) -> Explained {
    let here = line.checked_sub(1).and_then(|l| lines.get(l)).copied().unwrap_or("");
    let column = here.find('\t').map(|i| here[..i].chars().count() + 1).unwrap_or(1);
    Explained {
        line,
        column,
        message: "a tab is used for indentation; YAML indents with spaces only".into(),
        hint: "replace the tab with spaces, as many as the lines around it use".into(),
    }
}

/// A `{` or `[` that is not closed on its line: the scanner only notices at the next key.
fn unclosed(lines: &[&str], line: usize) -> Option<Explained> {
    // The nearest line at or above the error with more openings than closings.
    for l in (0..line.min(lines.len())).rev() {
        let t = lines[l];
        let mut depth: Vec<(char, usize)> = Vec::new();
        let mut quote: Option<char> = None;
        for (i, c) in t.char_indices() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '"' | '\'') => quote = Some(c),
                (None, '#') if i == 0 || t[..i].ends_with(' ') => break,
                (None, '{' | '[') => depth.push((c, i)),
                (None, '}' | ']') => {
                    depth.pop();
                }
                _ => {}
            }
        }
        if let Some((open, at)) = depth.first() {
            let close = if *open == '{' { '}' } else { ']' };
            return Some(Explained {
                line: l + 1,
                column: t[..*at].chars().count() + 1,
                message: format!("the `{open}` opened here is not closed on its line"),
                hint: format!("add the closing `{close}` at the end of line {}", l + 1),
            });
        }
        if l + 1 < line && content(t) && key_col(t) == 0 {
            break;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::parse;

    /// One way to break a line of the example.
    type Edit = Box<dyn Fn(&str) -> String>;

    /// The finding for a file, and whether the fix its hint names makes it parse.
    fn finding(yaml: &str) -> (usize, String, String) {
        let d = parse("f.yaml", yaml.as_bytes()).unwrap_err();
        (d.line, d.message, d.hint.unwrap_or_default())
    }

    #[test]
    fn a_key_indented_one_space_too_far_is_found_on_its_own_line() {
        let (line, message, hint) = finding("kind: Partner\nmetadata:\n   name: zz\n  owner: p\nspec: {}\n");
        assert_eq!(line, 3, "{message}");
        assert!(message.starts_with("`name` is indented 3 spaces"), "{message}");
        assert_eq!(
            hint,
            "move line 3 1 space to the left, so that `name` is indented 2 spaces like `owner` on line 4"
        );
        assert!(
            parse(
                "f.yaml",
                b"kind: Partner\nmetadata:\n  name: zz\n  owner: p\nspec: {}\n"
            )
            .is_ok()
        );
    }

    #[test]
    fn a_key_indented_less_than_its_siblings_is_found_where_it_is() {
        let (line, message, hint) = finding("metadata:\n  name: zz\n owner: p\n");
        assert_eq!(line, 3);
        assert!(
            message.starts_with("`owner` is indented 1 space, but `name` before it"),
            "{message}"
        );
        assert_eq!(hint, "indent `owner` on line 3 by 2 spaces, as `name` on line 2");
    }

    #[test]
    fn a_list_item_out_of_line() {
        let (line, message, hint) = finding("spec:\n  history:\n    - {stage: a}\n   - {stage: b}\n");
        assert_eq!(line, 4);
        assert!(message.starts_with("the list item is indented 3 spaces"), "{message}");
        assert!(hint.contains("by 4 spaces"), "{hint}");
        let (line, _, hint) = finding("spec:\n  history:\n    - {stage: a}\n     - {stage: b}\n");
        assert_eq!(line, 4);
        assert!(hint.contains("by 4 spaces"), "{hint}");
    }

    #[test]
    fn a_key_under_a_value() {
        let (line, message, hint) = finding("spec:\n  displayName: A\n   legalName: B\n");
        assert_eq!(line, 3);
        assert!(
            message.starts_with("`legalName` is indented 3 spaces, deeper than `displayName`"),
            "{message}"
        );
        assert_eq!(hint, "indent `legalName` by 2 spaces, as `displayName` above it");
    }

    #[test]
    fn a_colon_in_a_value_tabs_and_open_brackets() {
        let (_, message, hint) = finding("spec:\n  displayName: A: B\n");
        assert!(
            message.starts_with("the value of `displayName` holds `: `"),
            "{message}"
        );
        assert_eq!(hint, "quote the value: `displayName: \"A: B\"`");
        assert!(parse("f.yaml", b"spec:\n  displayName: \"A: B\"\n").is_ok());
        let (line, message, _) = finding("spec:\n\tdisplayName: A\n");
        assert_eq!(line, 2);
        assert!(message.starts_with("a tab is used for indentation"), "{message}");
        let (line, message, hint) = finding("kind: Partner\nmetadata: {name: b, owner: p\nspec: {}\n");
        assert_eq!(line, 2, "{message}");
        assert_eq!(hint, "add the closing `}` at the end of line 2");
    }

    /// Every everyday mistake, made on every line of the example's files: never a panic,
    /// always a finding on a line of the file, and where the finding names its cause, the
    /// hint is there.
    #[test]
    fn mistakes_on_every_line_of_the_example_never_panic() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/northwind");
        let mut files = Vec::new();
        let mut dirs = vec![root];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "yaml") {
                    files.push(std::fs::read_to_string(&path).unwrap());
                }
            }
        }
        let mut explained = 0;
        let mut followed = 0;
        for text in files.iter().take(12) {
            let lines: Vec<&str> = text.lines().collect();
            for i in 0..lines.len() {
                let edits: [Edit; 5] = [
                    Box::new(|l| format!(" {l}")),
                    Box::new(|l| l.strip_prefix(' ').unwrap_or(l).to_string()),
                    Box::new(|l| format!("\t{}", l.trim_start())),
                    Box::new(|l| l.replacen('}', "", 1)),
                    Box::new(|l| format!("{l}: x")),
                ];
                for edit in &edits {
                    let mut changed: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
                    changed[i] = edit(lines[i]);
                    let yaml = changed.join("\n") + "\n";
                    if let Err(d) = parse("f.yaml", yaml.as_bytes()) {
                        assert!(d.line >= 1 && d.line <= lines.len() + 1, "{d:?}");
                        if d.message.contains("(the YAML parser: ") {
                            explained += 1;
                            let hint = d.hint.clone().unwrap();
                            if let Some(fixed) = follow(&changed, d.line, &hint) {
                                let fixed = fixed.join("\n") + "\n";
                                assert!(
                                    parse("f.yaml", fixed.as_bytes()).is_ok(),
                                    "following {hint:?} left\n{fixed}"
                                );
                                followed += 1;
                            }
                        }
                    }
                }
            }
        }
        assert!(explained > 100, "{explained} mistakes explained");
        assert!(followed > 50, "{followed} hints followed");
    }

    /// Does what an indentation hint says, to the lines of a file.
    fn follow(lines: &[String], at: usize, hint: &str) -> Option<Vec<String>> {
        let number = |s: &str| -> Option<usize> { s.split(' ').next()?.parse().ok() };
        let mut out = lines.to_vec();
        let reindent = |l: &str, to: usize| format!("{}{}", " ".repeat(to), l.trim_start());
        if let Some(rest) = hint.strip_prefix("move line") {
            // "move line N K space(s) to the left" or "move lines N–M K space(s) ..."
            let rest = rest.trim_start_matches('s').trim_start();
            let (range, rest) = rest.split_once(' ')?;
            let (from, to) = match range.split_once('–') {
                Some((a, b)) => (a.parse::<usize>().ok()?, b.parse::<usize>().ok()?),
                None => (range.parse().ok()?, range.parse().ok()?),
            };
            let by = number(rest)?;
            let right = rest.contains(" to the right");
            for l in &mut out[from - 1..to] {
                *l = if right {
                    format!("{}{l}", " ".repeat(by))
                } else {
                    l[by.min(l.len() - l.trim_start().len())..].to_string()
                };
            }
            return Some(out);
        }
        if hint.starts_with("indent ") && hint.contains(" by ") {
            let line = match hint.split(" on line ").nth(1) {
                Some(r) => number(r)?,
                None => at,
            };
            let to = number(hint.split(" by ").nth(1)?)?;
            out[line - 1] = reindent(&out[line - 1], to);
            return Some(out);
        }
        None
    }
}
