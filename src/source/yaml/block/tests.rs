//! The block reader against saphyr: hand-written texts inside and at the edges of its
//! subset, every YAML file of the repository and its fuzz corpus, and a generated program.

use super::super::compare_readers;
use std::path::{Path, PathBuf};

/// Read by the block reader, and exactly as saphyr reads it.
fn same(text: &str) {
    assert_eq!(compare_readers("a.yaml", text.as_bytes()), Ok(true), "{text}");
}

/// Left to saphyr (which may read it or refuse it).
fn left(text: &str) {
    assert!(
        super::parse("a.yaml", text).is_none(),
        "read by the block reader: {text}"
    );
    assert!(compare_readers("a.yaml", text.as_bytes()).is_ok(), "{text}");
}

#[test]
fn block_yaml_reads_as_saphyr_reads_it() {
    same("a: 1\nb: x y\nc: -2.5e3\nd: 2026-01-04\ne: ~\nf: true\ng: 0x1F\nh: +7\ni: .inf\nj: null\nk: 1_000\n");
    same(
        "---\n# comment\na: 'it''s'   # trailing\n\"b c\": \"q\\\"\\u00e9\\t\\x41\\/\"\nd:\n  - x\n  -   y\n  - {z: 1}\n",
    );
    same("a:\n- x\n- y: 1\n  z: [1, 2]\nb: 1\n");
    same("a:\n  b:\n    c: d\n  e: f\ng: h\n");
    same("list:\n  - name: n\n    tags: [a, {b: c}, \"d\", 'e']\n  - {a: b,\n     c: d}\n");
    same("empty:\nnext: 1\nlast:\n");
    same("e: {}\nf: []\ng: [ a , b ]\nh: {a: http://x, b: a:b}\n");
    same("k: [\n    a,\n    b]\nl: {\n    a: 1, # c\n    b: 2}\n");
    same("1: one\ntrue: yes\nnull: x\n1.5: f\n");
    same("a: b#c\nd: e # f\ng: h:i\nj: ~x\nk: a,b]c{d}\n");
    same("caf\u{e9}: cr\u{e8}me br\u{fb}l\u{e9}e\nn: {\u{e9}: \u{fc}, b: 1}\n");
    same(
        "a: |\n  one\n  two\nb: >\n  one\n  two\n\n  three\n   more\n  four\nc: |-\n  x\n\n\nd: |+\n  x\n\n\ne: >-\n    deep\n    text\n",
    );
    same("a:\n  - |\n    lit\n  - >+\n    fold\n\n  - b: |\n      x\n    # comment\n    c: 1\n");
    same("a: |\n  # not a comment\n  x\n# comment\nb: 1\n");
    same("a: |\n  x\n  ");
    same("a: |\n  x");
    same("a: >\n  x\n\n  ");
    same("a: |+\n  x\n\n");
    same("a: x\n\n\n# end");
    same("k:    v   \n");
}

#[test]
fn what_the_block_reader_does_not_take_is_left_to_saphyr() {
    for text in [
        "a: 1\n---\nb: 2\n",
        "a: 1\n...\n",
        "%YAML 1.2\n---\na: 1\n",
        "--- a: 1\n",
        "a: &x 1\nb: *x\n",
        "a: !!str 1\n",
        "? a\n: 1\n",
        "a:\tb\n",
        "a: b\r\n",
        "a: b\n  c\n",
        "a: 'b\n  c'\n",
        "a: \"b\\\n  c\"\n",
        "a: |2\n   x\n",
        "a: |\n\n  x\n",
        "a: |\n",
        "  a: 1\n",
        "- a\n- b\n",
        "[a, b]\n",
        "a: b\n c: d\n",
        "a:\n  b: 1\n c: 2\n",
        "a: b: c\n",
        "a: [b\n  , c]\n",
        "a: [b,\nc]\n",
        "a: [b, c,]\n",
        "a: [b: c]\n",
        "a: {b}\n",
        "a: {b: }\n",
        "a: {b:c}\n",
        "a: -\n",
        "a:\n  -\n    b\n",
        "a:\n  - - b\n",
        "a: 1\na: 2\n",
        "a: \"\\ud800\"\n",
        "a: \"\\q\"\n",
        "a: x\u{feff}\n",
        "a: b #c\n  d\n",
        "a: 'b'c\n",
        "a: \"b\"#c\n",
        "a: [x]: y\n",
        "a: b\n  # c\n  d\n",
    ] {
        left(text);
    }
    let long_key = format!("{}: 1\n", "k".repeat(1100));
    left(&long_key);
    let deep = format!("a: {}{}\n", "[".repeat(100), "]".repeat(100));
    left(&deep);
}

/// Texts at the edges of the subset: whichever reader takes each, the result is saphyr's.
#[test]
fn texts_at_the_edges_never_differ() {
    for text in [
        "- a:\n  - x\n  b: 1\n",
        "a:\n- x\n# c\n- y\nb:\n- z\n",
        "a: [\"x\"\n  , y]\n",
        "a: [\n  \"x\"\n  ]\n",
        "a: {b: [c, d], e: {f: g}}\n",
        "a: [a-, -b, c-d]\n",
        "a: [a -]\n",
        "a: {b: c d, e: f  }\n",
        "a: 'b' : c\n",
        "\"a\" : b\n",
        "a : b\n",
        "a:b: c\n",
        "a: b :c\n",
        "...x: 1\n---y: 2\n",
        "a: |\n    x\n  y\n",
        "a: |\n  x\n # c\n  y\n",
        "a: >\n  x\n\n\n  y\n   z\n\n  w\n",
        "a: >-\n   x\n    y\n   z\n",
        "a: |\n  x\n   \n  y\n",
        "a: |\n  x\n \n  y\n",
        "a: |+\n  x\n \n",
        "a: |-\n  x\n  ",
        "a: >+\n  x\n  ",
        "- |\n  x\n- >\n y\n",
        "a:\n  - |\n   x\n",
        "a:\n  -  b: 1\n     c: 2\n",
        "a: x # c\n# d\n  # e\nb: y\n",
        "a: \"\\x41\\u00e9\\U0001F600\\N\\_\\L\\P\\e\\a\\0\\ \"\n",
        "a: \"\\uD83D\\uDE00\"\n",
        "a: '' \nb: \"\"\n",
        "a: [ ]\nb: { }\n",
        "a: [[], {}]\n",
        "a: {b: [1,2,3],c: 'd'}\n",
        "a: [b,c]\n",
        "a: {b: c,d: e}\n",
        "a:\n\n\n  b: 1\n",
        "a:    \n  - x\n",
        "a: x\n---\n",
        "---\n---\na: 1\n",
        "--- # c\na: 1\n",
        "---\n",
        "a: 1\n... \n",
        "a: -1\nb: -x\nc: -.5\n",
        "a: 0b1\nb: 0o8\nc: 0xG\nd: 1e\ne: 1.\nf: .1\ng: +.5\nh: -0\n",
        "a: 9223372036854775808\nb: -9223372036854775809\nc: 1e400\n",
        "true: 1\nTrue: 2\n",
        "1: a\n\"1\": b\n",
        "null: 1\n~: 2\n",
        "a: \u{e9}t\u{e9}\n\u{e9}: {x: \u{e9}, \u{fc}: [\u{df}]}\n",
        "a: {x: 1,\n  y: 2}\n",
        "a: {x: 1,\n y: 2}\n",
        "- {x: 1,\n  y: 2}\n",
        "- {x: 1,\n y: 2}\n",
        "a:\n  - {x: 1,\n     y: 2}\n",
        "a:\n  - {x: 1,\n    y: 2}\n",
        "a:\n  - {x: 1,\n   y: 2}\n",
        "a: [x, # c\n    y]\n",
        "a: [x,\n    # c\n    y]\n",
        "a: [x,\n\n    y]\n",
        "a: [x]# c\n",
        "a: [x] # c\n",
        "a: 'x'# c\n",
        "a: x#c\n",
        "a: {b: c}: d\n",
        "- a\n -b\n",
        "a:\n- b\n  - c\n",
        "a:\n  b\n",
        "a:\n  'b'\n",
        "a:\n  [b]\n",
        "a: |\n  x\nb: |\n  y\n",
        "a: b\n\u{a0}c: d\n",
        "a: x\u{a0}\n",
        "a: \u{a0}\n",
    ] {
        assert!(
            compare_readers("a.yaml", text.as_bytes()).is_ok(),
            "{text:?}: {:?}",
            compare_readers("a.yaml", text.as_bytes())
        );
    }
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            yaml_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "yaml" || x == "yml") {
            out.push(p);
        }
    }
}

/// A program file the block reader must read itself: a regression to leaving every file
/// to saphyr fails here.
fn program_file(root: &Path, path: &Path) -> bool {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel == Path::new("program.yaml")
        || ["partners", "products", "terms"]
            .iter()
            .any(|d| rel.starts_with(d) && rel.extension().is_some_and(|x| x == "yaml"))
}

/// Every YAML file of the repository's examples, tests and fuzz corpus: whatever the
/// block reader reads, saphyr reads the same way; the example's program files are all
/// read by the block reader.
#[test]
fn every_yaml_file_of_the_repository_reads_as_saphyr_reads_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["examples", "tests", "schemas"] {
        yaml_files(&root.join(dir), &mut files);
    }
    for dir in [
        "fuzz/corpus/load",
        "fuzz/corpus/block_yaml",
        "fuzz/regressions/block_yaml",
    ] {
        if let Ok(entries) = std::fs::read_dir(root.join(dir)) {
            files.extend(entries.flatten().map(|e| e.path()));
        }
    }
    assert!(files.len() > 1000, "{}", files.len());
    let example = root.join("examples/northwind");
    let (mut read, mut program) = (0, 0);
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        let fast = compare_readers("a.yaml", &bytes).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        read += usize::from(fast);
        if program_file(&example, f) {
            assert!(fast, "{} is left to saphyr", f.display());
            program += 1;
        }
    }
    assert!(program >= 20, "{program}");
    assert!(read > 100, "{read} of {}", files.len());
}

/// A program written by bench/generate.py: every partner, product and terms file and
/// program.yaml is read by the block reader, as saphyr reads it.
#[test]
fn a_generated_program_reads_as_saphyr_reads_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = tempfile::tempdir().unwrap();
    let generated = std::process::Command::new("python3")
        .arg(root.join("bench/generate.py"))
        .args(["--partners", "400", "--out"])
        .arg(out.path().join("program"))
        .output();
    let ok = generated.as_ref().is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "bench/generate.py did not run: {generated:?}"
        );
        return;
    }
    let program = out.path().join("program");
    let mut files = Vec::new();
    yaml_files(&program, &mut files);
    let mut read = 0;
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        let fast = compare_readers("a.yaml", &bytes).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        if program_file(&program, f) {
            assert!(fast, "{} is left to saphyr", f.display());
            read += 1;
        }
    }
    assert!(read > 400, "{read}");
}

/// [`super::ordinary`] byte by byte, as it was before it skipped blocks of printable bytes.
fn ordinary_bytewise(b: &[u8]) -> bool {
    (0..b.len()).all(|i| match b[i] {
        b'\n' | 0x20..=0x7E => true,
        0x00..=0x1F | 0x7F => false,
        0xC2 => !matches!(b.get(i + 1), Some(0x80..=0x9F)),
        0xE2 => !(b.get(i + 1) == Some(&0x80) && matches!(b.get(i + 2), Some(0xA8 | 0xA9))),
        0xEF => !(b.get(i + 1) == Some(&0xBB) && b.get(i + 2) == Some(&0xBF)),
        _ => true,
    })
}

#[test]
fn a_refused_character_is_found_wherever_it_sits_in_a_block() {
    // Each refused character (and a harmless one beside it), at every offset across three
    // blocks of 16, in printable text and after other UTF-8: a block skipped whole would miss
    // it, and one of three bytes split by a block's end would be missed if only blocks were
    // looked at.
    let refused: [&[u8]; 9] = [
        b"\t",
        b"\r",
        b"\x00",
        b"\x7f",
        "\u{85}".as_bytes(),
        "\u{2028}".as_bytes(),
        "\u{2029}".as_bytes(),
        "\u{feff}".as_bytes(),
        b"\x1b",
    ];
    let harmless: [&[u8]; 4] = [b"\n", "\u{e9}".as_bytes(), "\u{2027}".as_bytes(), "\u{fffd}".as_bytes()];
    let mut seen = 0;
    for lead in [&b""[..], "\u{e9}".as_bytes()] {
        for at in 0..48 {
            for (bytes, ok) in refused
                .iter()
                .map(|r| (r, false))
                .chain(harmless.iter().map(|h| (h, true)))
            {
                let mut text = lead.to_vec();
                text.extend(std::iter::repeat_n(b'a', at));
                text.extend_from_slice(bytes);
                text.extend(std::iter::repeat_n(b'b', 40));
                assert_eq!(
                    super::ordinary(&text),
                    ok,
                    "{:?} at {at}",
                    String::from_utf8_lossy(bytes)
                );
                assert_eq!(super::ordinary(&text), ordinary_bytewise(&text));
                seen += 1;
            }
        }
    }
    assert_eq!(seen, 2 * 48 * 13);
}
