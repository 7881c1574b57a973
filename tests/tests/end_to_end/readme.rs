//! The project's pages, held to what is true: README.md (the student's), LAB.md (the
//! teacher's) and docs/DEVELOPING.md (the contributor's), each beside its Chinese page.
//!
//! `readme/pages.rs` reads the pages alone: each English page and its Chinese one have the
//! same shape and link to each other, every link and every file they name is there, and the
//! test command they give is the one CI runs. `readme/shown.rs` runs what the pages show and
//! compares: the `--trace` of one client, a long line over TCP and over UDP, a usage error,
//! `lab-check` against our server; `readme/quotes.rs`, every message the troubleshooting
//! tables quote. `readme/programs.rs` runs the programs in either language, and masks what
//! varies from run to run.

mod pages;
#[cfg(unix)]
mod programs;
#[cfg(unix)]
mod quotes;
#[cfg(unix)]
mod shown;

use std::path::{Path, PathBuf};

/// Each English page, and its Chinese counterpart.
const PAIRS: [(&str, &str); 3] = [
    ("README.md", "README.zh-CN.md"),
    ("LAB.md", "LAB.zh-CN.md"),
    ("docs/DEVELOPING.md", "docs/DEVELOPING.zh-CN.md"),
];

/// The workspace's folder.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A file of the workspace, as text (`name` relative to the workspace's folder).
fn read(name: &str) -> String {
    std::fs::read_to_string(root().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// A fenced code block of a page.
struct Block {
    /// What follows the opening fence: `sh`, `text`, `mermaid`, `python`, or nothing.
    info: String,
    /// Its lines, without the fences, their indentation (a block in a list) taken off.
    lines: Vec<String>,
}

/// Every fenced code block of `page`, in order.
fn blocks(page: &str) -> Vec<Block> {
    let mut all = Vec::new();
    let mut open: Option<(usize, Block)> = None;
    for line in page.lines() {
        let indent = line.len() - line.trim_start().len();
        let trimmed = line.trim_start();
        match open.take() {
            None => {
                if let Some(info) = trimmed.strip_prefix("```") {
                    let block = Block {
                        info: info.trim().to_owned(),
                        lines: Vec::new(),
                    };
                    open = Some((indent, block));
                }
            }
            Some((_, block)) if trimmed == "```" => all.push(block),
            Some((indent, mut block)) => {
                let text = line.get(indent..).unwrap_or(trimmed);
                block.lines.push(text.to_owned());
                open = Some((indent, block));
            }
        }
    }
    assert!(open.is_none(), "a code block is not closed");
    all
}

/// The lines of `page` outside its code blocks.
fn prose(page: &str) -> Vec<&str> {
    let mut inside = false;
    let mut lines = Vec::new();
    for line in page.lines() {
        if line.trim_start().starts_with("```") {
            inside = !inside;
        } else if !inside {
            lines.push(line);
        }
    }
    lines
}

/// The text between each pair of backticks in `text`.
fn code_spans(text: &str) -> Vec<&str> {
    text.split('`').skip(1).step_by(2).collect()
}
