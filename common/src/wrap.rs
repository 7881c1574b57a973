//! Text wrapped to the terminal the way its language breaks lines.
//!
//! English breaks lines at spaces. Chinese has none: a line may break between almost any two
//! characters, but never before closing punctuation (`，。、；：？！”）》`) and never after
//! opening punctuation (`“（《`). Unicode's line-breaking algorithm (UAX #14) says where a line
//! may break in both; `textwrap` follows it and counts a Chinese character as two columns.
//! On top of it, what a reader types stays whole on one line: `--max-clients`,
//! `127.0.0.1:21567`, a URL, `主机:端口`, `<秒数>`, `[服务器]`.

use textwrap::core::{Word, display_width};
use textwrap::{Options, WordSeparator, WordSplitter};

/// How wide the terminal is: `COLUMNS` when set (as clap reads it), else the terminal's
/// width, else clap's 100.
pub fn terminal_width() -> usize {
    let columns = std::env::var("COLUMNS")
        .ok()
        .and_then(|text| text.trim().parse().ok());
    let terminal = || terminal_size::terminal_size().map(|(width, _)| usize::from(width.0));
    columns.or_else(terminal).unwrap_or(100).max(20)
}

/// `text` with every line longer than `width` columns broken where its language allows. A
/// line of `--help` that describes an option (`  --port <端口>  监听的端口…`) goes on under
/// where its help starts; any other line goes on at its own indentation.
pub fn fill(text: &str, width: usize) -> String {
    let mut filled = String::new();
    for line in text.lines() {
        let indent = " ".repeat(hanging_indent(line));
        for piece in break_line(line, width, &indent) {
            filled.push_str(&piece);
            filled.push('\n');
        }
    }
    filled
}

/// One line of text broken into lines of at most `width` columns where its language allows
/// (and never inside what a reader types), the later ones beginning with `indent`; their
/// trailing spaces dropped.
pub fn break_line(line: &str, width: usize, indent: &str) -> Vec<String> {
    let options = Options::new(width)
        .subsequent_indent(indent)
        .word_separator(WordSeparator::Custom(words))
        .word_splitter(WordSplitter::NoHyphenation)
        // Only a word wider than the whole line is cut, so that nothing is wider.
        .break_words(true);
    textwrap::wrap(line, options)
        .into_iter()
        .map(|piece| piece.trim_end().to_string())
        .collect()
}

/// The column where the help of an option's line starts (`  --port <端口>  监听的端口…`):
/// the first column after two spaces that follow the option. Any other line goes on at its
/// own indentation.
pub fn hanging_indent(line: &str) -> usize {
    let text = line.trim_start();
    let lead = line.len() - text.len();
    let is_option = text.starts_with('-') || text.starts_with('[') || text.starts_with('<');
    match text.find("  ").filter(|_| is_option) {
        Some(gap) => {
            let help = text[gap..].trim_start();
            lead + display_width(&text[..text.len() - help.len()])
        }
        None => lead,
    }
}

/// The pieces of `line` between which it may break: where UAX #14 allows a break (as
/// `textwrap` finds them), except inside what a reader types ([`keeps_whole`]).
fn words(line: &str) -> Box<dyn Iterator<Item = Word<'_>> + '_> {
    let kept = typed_spans(line);
    let mut pieces = Vec::new();
    let (mut start, mut at) = (0, 0);
    for word in WordSeparator::UnicodeBreakProperties.find_words(line) {
        // Words are contiguous in `line`: each is its text and the spaces after it.
        at += word.word.len() + word.whitespace.len();
        if at < line.len() && !keeps_whole(line, at, &kept) {
            pieces.push(Word::from(&line[start..at]));
            start = at;
        }
    }
    if start < line.len() {
        pieces.push(Word::from(&line[start..]));
    }
    Box::new(pieces.into_iter())
}

/// True when `line` must not break at byte `at`, though UAX #14 would let it: in the line's
/// indentation, between two ASCII characters (`--max-clients`, `http://host/path`), and
/// inside the `kept` byte ranges that [`typed_spans`] found.
fn keeps_whole(line: &str, at: usize, kept: &[(usize, usize)]) -> bool {
    if line[..at].trim().is_empty() {
        return true; // the line's own indentation goes with its first word
    }
    let before = line[..at].chars().next_back().unwrap_or(' ');
    let after = line[at..].chars().next().unwrap_or(' ');
    if before.is_whitespace() || after.is_whitespace() {
        return false;
    }
    let both_ascii = before.is_ascii_graphic() && after.is_ascii_graphic();
    both_ascii || kept.iter().any(|&(start, end)| start < at && at < end)
}

/// The byte ranges of what a reader types, in which a line does not break: a placeholder
/// from `<` or `[` to its `>` or `]` (`<秒数>`, `[服务器]`), and a word joined by `:`, `/`,
/// `=`, `.` or `@` (`主机:端口`, `127.0.0.1:21567`), up to a space or Chinese punctuation.
fn typed_spans(line: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    for (at, c) in line.char_indices() {
        let after = &line[at + c.len_utf8()..];
        let span = match c {
            '<' => placeholder(after, '>'),
            '[' => placeholder(after, ']'),
            ':' | '/' | '=' | '.' | '@' => joined(&line[..at], after),
            _ => None,
        };
        if let Some((back, on)) = span {
            spans.push((at - back, at + c.len_utf8() + on));
        }
    }
    spans
}

/// How far a placeholder goes on after its opening bracket, to its `close`, when it has no
/// space in it: `(0, its length)`.
fn placeholder(after: &str, close: char) -> Option<(usize, usize)> {
    let end = after.find(|c: char| c == close || c.is_whitespace())?;
    after[end..].starts_with(close).then_some((0, end + 1))
}

/// How far a word joined by a `:` (or `/`, ...) reaches back into `before` and on into
/// `after`, when there is a word on both sides.
fn joined(before: &str, after: &str) -> Option<(usize, usize)> {
    let ends =
        |c: char| c.is_whitespace() || "，。、；：？！“”‘’（）《》「」『』【】…—".contains(c);
    let back = before.len() - before.trim_end_matches(|c: char| !ends(c)).len();
    let on = after.find(ends).unwrap_or(after.len());
    (back > 0 && on > 0).then_some((back, on))
}

#[cfg(test)]
mod tests;
