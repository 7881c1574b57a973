//! The pages alone: each English page and its Chinese one keep the same shape and link to
//! each other, every link and every file they name exists, and the test command they give is
//! the one CI runs.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use super::{PAIRS, blocks, code_spans, prose, read, root};

/// What must match between a page and its translation, in order: each `##` and `###`
/// heading, each code block with its kind (`sh`, `text`, `mermaid`, ...), and each table with
/// its number of rows.
fn shape(page: &str) -> Vec<String> {
    let mut shape = Vec::new();
    let mut inside = false;
    let mut rows = 0;
    for line in page.lines() {
        let trimmed = line.trim_start();
        if !inside && rows > 0 && !line.starts_with('|') {
            shape.push(format!("a table of {rows} rows"));
            rows = 0;
        }
        if let Some(info) = trimmed.strip_prefix("```") {
            if !inside {
                shape.push(format!("a code block ```{}", info.trim()));
            }
            inside = !inside;
        } else if inside {
            continue;
        } else if line.starts_with("## ") {
            shape.push("## heading".to_owned());
        } else if line.starts_with("### ") {
            shape.push("### heading".to_owned());
        } else if line.starts_with('|') {
            rows += 1;
        }
    }
    if rows > 0 {
        shape.push(format!("a table of {rows} rows"));
    }
    shape
}

#[test]
fn each_chinese_page_keeps_in_step_with_its_english_one() {
    for (english, chinese) in PAIRS {
        let (en, zh) = (shape(&read(english)), shape(&read(chinese)));
        for (at, (a, b)) in en.iter().zip(&zh).enumerate() {
            assert_eq!(
                a, b,
                "{english} and {chinese} part ways at their item {at} (headings, code blocks and tables, in order)"
            );
        }
        assert_eq!(
            en.len(),
            zh.len(),
            "{english} has {} headings, code blocks and tables; {chinese} has {}",
            en.len(),
            zh.len()
        );
    }
}

/// Where each link of `page` (a file of the workspace) leads: the file, relative to the
/// workspace's folder, and the anchor after `#`, if any. Links to the web are left out.
fn links(page: &str) -> Vec<(PathBuf, Option<String>)> {
    let text = read(page);
    let here = Path::new(page).parent().unwrap_or(Path::new(""));
    let mut found = Vec::new();
    for line in prose(&text) {
        for (at, _) in line.match_indices("](") {
            let rest = &line[at + 2..];
            let target = &rest[..rest.find(')').unwrap_or(rest.len())];
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let (file, anchor) = match target.split_once('#') {
                Some((file, anchor)) => (file, Some(anchor.to_owned())),
                None => (target, None),
            };
            let file = if file.is_empty() {
                PathBuf::from(page)
            } else {
                normal(&here.join(file))
            };
            found.push((file, anchor));
        }
    }
    found
}

/// `path` with its `..` and `.` resolved, without touching the disk.
fn normal(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// The anchor GitHub gives a heading: lower case, spaces made hyphens, other punctuation
/// dropped, letters of any script kept.
fn anchor_of(heading: &str) -> String {
    heading
        .trim()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            '-' | '_' => Some(c),
            c if c.is_alphanumeric() => Some(c.to_lowercase().next().unwrap_or(c)),
            _ => None,
        })
        .collect()
}

/// The anchors of every heading of `page`.
fn anchors(page: &str) -> BTreeSet<String> {
    prose(&read(page))
        .into_iter()
        .filter(|line| line.starts_with('#'))
        .map(|line| anchor_of(line.trim_start_matches('#')))
        .collect()
}

/// Every page: the English and the Chinese ones.
fn pages() -> impl Iterator<Item = &'static str> {
    PAIRS.into_iter().flat_map(|(en, zh)| [en, zh])
}

#[test]
fn every_link_leads_to_a_file_and_a_heading_that_exist() {
    for page in pages() {
        for (file, anchor) in links(page) {
            assert!(
                root().join(&file).exists(),
                "{page} links to {}, which is not there",
                file.display()
            );
            if let Some(anchor) = anchor {
                let name = file.to_string_lossy();
                assert!(
                    anchors(&name).contains(&anchor),
                    "{page} links to #{anchor} of {name}, which has no such heading"
                );
            }
        }
    }
}

#[test]
fn each_page_links_to_its_translation_and_the_readme_to_the_others() {
    let linked = |page: &str, to: &str| links(page).iter().any(|(file, _)| file == Path::new(to));
    for (english, chinese) in PAIRS {
        assert!(linked(english, chinese), "{english} links to {chinese}");
        assert!(
            linked(chinese, english),
            "{chinese} links back to {english}"
        );
    }
    for (readme, others) in [
        ("README.md", ["LAB.md", "docs/DEVELOPING.md"]),
        (
            "README.zh-CN.md",
            ["LAB.zh-CN.md", "docs/DEVELOPING.zh-CN.md"],
        ),
    ] {
        for other in others {
            assert!(linked(readme, other), "{readme} links to {other}");
            assert!(linked(other, readme), "{other} links back to {readme}");
        }
    }
}

/// The folders of the workspace a page may name a file in.
const FOLDERS: [&str; 9] = [
    "common/",
    "tcp-server/",
    "tcp-client/",
    "udp-server/",
    "udp-client/",
    "tests/",
    "scripts/",
    "docs/",
    ".ci/",
];

#[test]
fn every_file_a_page_names_exists() {
    for page in pages() {
        let text = read(page);
        for span in code_spans(&text) {
            let path = span.trim_end_matches('/');
            let a_path = FOLDERS.iter().any(|folder| span.starts_with(folder))
                && !path.contains(char::is_whitespace)
                && !path.contains('*');
            if a_path {
                assert!(
                    root().join(path).exists(),
                    "{page} names `{span}`, which is not there"
                );
            }
        }
    }
}

#[test]
fn the_test_command_the_pages_give_is_the_one_ci_runs() {
    let ci = read(".ci/run");
    let runs: Vec<&str> = ci
        .lines()
        .map(str::trim)
        .filter(|line| line.starts_with("cargo test"))
        .collect();
    let [command] = runs[..] else {
        panic!(".ci/run runs one cargo test, not {runs:?}");
    };
    for page in [
        "README.md",
        "README.zh-CN.md",
        "docs/DEVELOPING.md",
        "docs/DEVELOPING.zh-CN.md",
    ] {
        let text = read(page);
        let shown: Vec<String> = blocks(&text)
            .into_iter()
            .filter(|block| block.info == "sh")
            .flat_map(|block| block.lines)
            .filter(|line| line.starts_with("cargo test"))
            .collect();
        assert!(
            shown.iter().any(|line| line == command),
            "{page} shows `{command}` in a sh block, as .ci/run runs it"
        );
        for line in &shown {
            if line.starts_with("cargo test --workspace") {
                assert_eq!(line, command, "{page}: the whole suite runs as CI runs it");
            }
        }
    }
}

#[test]
fn the_shape_sees_headings_code_and_tables_in_order() {
    let page =
        "## A\n\ntext\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```sh\n## not a heading\n```\n### B\n";
    assert_eq!(
        shape(page),
        [
            "## heading",
            "a table of 3 rows",
            "a code block ```sh",
            "### heading"
        ]
    );
    assert_eq!(
        anchor_of(" Troubleshooting in the lab"),
        "troubleshooting-in-the-lab"
    );
    assert_eq!(anchor_of(" 实验课上的故障排查"), "实验课上的故障排查");
    assert_eq!(
        anchor_of(" Watching the socket calls: `--trace`"),
        "watching-the-socket-calls---trace"
    );
}
