//! The two READMEs stay in step: the Chinese one has the same sections, code blocks,
//! diagrams and table rows as the English one.

use std::path::Path;

fn read(name: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    std::fs::read_to_string(root.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// What must match: the count of each kind of line.
fn shape(text: &str) -> [usize; 5] {
    let count = |test: &dyn Fn(&str) -> bool| text.lines().filter(|line| test(line)).count();
    [
        count(&|l| l.starts_with("## ")),
        count(&|l| l.starts_with("### ")),
        count(&|l| l.starts_with("```")),
        count(&|l| l.starts_with("```mermaid")),
        count(&|l| l.starts_with('|')),
    ]
}

#[test]
fn the_chinese_readme_keeps_in_step_with_the_english_one() {
    let english = read("README.md");
    let chinese = read("README.zh-CN.md");
    assert_eq!(
        shape(&english),
        shape(&chinese),
        "[## sections, ### sections, code fences, diagrams, table rows] differ"
    );
    assert!(
        english.contains("(README.zh-CN.md)"),
        "README.md links to the Chinese one"
    );
    assert!(
        chinese.contains("(README.md)"),
        "README.zh-CN.md links back"
    );
}
