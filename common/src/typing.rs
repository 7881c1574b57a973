//! Words as a Chinese input method, a chat message or a word processor hands them to a
//! program, and as they should be typed.
//!
//! A student types `127.0.0.1：21567` with the input method still in Chinese, ends an address
//! with the `，` of the sentence it came in, copies `“127.0.0.1”` from a handout or a WeChat
//! message, or types `--port` on a Mac, in Word or in WeChat, which turn the two hyphens into
//! one long dash (`—port`). Each reaches the program as another word than the one meant, and
//! would end in "unknown host" or "unknown option". [`mistyped`] names the character and gives
//! the word as it should be typed: a word the program then takes as it is.

use crate::tr;

/// Says what is wrong with `word` as typed and gives it as it should be typed; `None` when it
/// is fine as it is.
pub fn mistyped(word: &str) -> Option<String> {
    let typed = as_meant(word);
    if typed == word {
        return None;
    }
    let typed = if typed.is_empty() { "''".into() } else { typed };
    Some(match slip(word)? {
        Slip::Quotes { chinese: true } => tr!(
            "'{word}' is in quotation marks (as a chat message or a word processor passes it on): type it as {typed}",
            "'{word}' 带着中文引号：请去掉引号，输入 {typed}"
        ),
        Slip::Quotes { chinese: false } => {
            let marks = if word.contains('"') { "\"" } else { "'" };
            tr!(
                "{word} reached the program with its quotation marks ({marks}) as part of it: type it as {typed}",
                "{word} 带着引号（{marks}）：请去掉引号，输入 {typed}"
            )
        }
        Slip::Trailing(mark) => {
            let (english, chinese) = mark_name(mark);
            tr!(
                "'{word}' ends in a full-width {english} '{mark}' (as a Chinese input method types it): type it as {typed}",
                "'{word}' 末尾多了一个中文{chinese}“{mark}”：请删掉它，输入 {typed}"
            )
        }
        Slip::Dash(dashes) => {
            let (count, kind) = match (typed.starts_with("--"), dashes.contains(['—', '―'])) {
                (true, true) => ("两个", "中文破折号"),
                (true, false) => ("两个", "连接号"),
                (false, true) => ("一个", "中文破折号"),
                (false, false) => ("一个", "连接号"),
            };
            tr!(
                "'{word}' starts with the dash '{dashes}', which autocorrect or an input method makes of hyphens: type it as {typed}",
                "“{dashes}”是{kind}（输入法或自动更正打出的）：请输入{count}半角减号：{typed}"
            )
        }
        Slip::FullWidth(found) => tr!(
            "'{word}' contains the full-width character '{found}' (as a Chinese input method types it): type it as {typed}",
            "'{word}' 含有全角字符 '{found}'（中文输入法打出来的）：应输入半角的 {typed}"
        ),
    })
}

/// The first thing in a word that is not as it should be typed.
#[derive(Debug, PartialEq, Eq)]
enum Slip {
    /// Wrapped in quotation marks: Chinese or typographic ones (`“127.0.0.1”`, `「…」`), or
    /// the plain ones a shell passes on when they are quoted twice (`'"127.0.0.1"'`).
    Quotes {
        /// True for the quotation marks Chinese text uses (`“”`, `‘’`, `「」`).
        chinese: bool,
    },
    /// Ends in a full-width punctuation mark, from the sentence it came in: `127.0.0.1，`.
    Trailing(char),
    /// Starts with the long dashes that autocorrect makes of `--`: `—port`, `——port`, `–port`.
    Dash(String),
    /// Holds a full-width character: `１２７.０.０.１`, `127.0.0.1：21567`.
    FullWidth(char),
}

/// What [`mistyped`] names: the first slip in `word`, in the order a reader fixes them.
fn slip(word: &str) -> Option<Slip> {
    let (head, inner, tail) = wrapping(word);
    let quotes: Vec<char> = head
        .chars()
        .chain(tail.chars())
        .filter(|&c| is_quote(c))
        .collect();
    if !quotes.is_empty() {
        let chinese = quotes.iter().any(|c| !c.is_ascii());
        return Some(Slip::Quotes { chinese });
    }
    if let Some(mark) = tail.chars().next() {
        return Some(Slip::Trailing(mark));
    }
    if let Some((dashes, _)) = leading_dashes(inner) {
        return Some(Slip::Dash(dashes.to_string()));
    }
    inner
        .chars()
        .find(|&c| half_width(c) != c)
        .map(Slip::FullWidth)
}

/// `word` as it should be typed: without quotation marks around it or a full-width mark
/// after it, `--` for a long dash in front of an option, half-width characters for
/// full-width ones.
pub(crate) fn as_meant(word: &str) -> String {
    let (_, inner, _) = wrapping(word);
    let (hyphens, rest) = match leading_dashes(inner) {
        Some((_, rest)) if rest.chars().count() == 1 => ("-", rest),
        Some((_, rest)) => ("--", rest),
        None => ("", inner),
    };
    let rest: String = rest.chars().map(half_width).collect();
    format!("{hyphens}{rest}")
}

/// Splits `word` into the quotation marks in front, the word itself, and the quotation
/// marks and full-width marks after it.
fn wrapping(word: &str) -> (&str, &str, &str) {
    let unquoted = word.trim_start_matches(is_quote);
    let inner = unquoted.trim_end_matches(|c| is_quote(c) || is_trailing_mark(c));
    let head = &word[..word.len() - unquoted.len()];
    let tail = &unquoted[inner.len()..];
    (head, inner, tail)
}

/// The dashes in front of an option that autocorrect made of `--` (`—`, `——`, `–`, with any
/// hyphens among them), and the option's name after them.
fn leading_dashes(text: &str) -> Option<(&str, &str)> {
    let name = text.trim_start_matches(|c| is_long_dash(c) || c == '-');
    let dashes = &text[..text.len() - name.len()];
    let starts_a_name = name
        .chars()
        .next()
        .is_some_and(|c| half_width(c).is_ascii_alphabetic());
    (dashes.contains(is_long_dash) && starts_a_name).then_some((dashes, name))
}

/// Quotation marks: Chinese and typographic ones, full-width ones, and the plain ones.
fn is_quote(c: char) -> bool {
    "“”‘’「」『』„‟‚‛«»‹›＂＇\"'".contains(c)
}

/// The full-width marks that end a Chinese clause or sentence.
fn is_trailing_mark(c: char) -> bool {
    "，。、；：！？．".contains(c)
}

/// The dashes that are not a hyphen-minus: em dash, en dash, horizontal bar, minus sign.
fn is_long_dash(c: char) -> bool {
    matches!(c, '\u{2010}'..='\u{2015}' | '\u{2212}')
}

/// A trailing mark's name, in English and in Chinese.
fn mark_name(mark: char) -> (&'static str, &'static str) {
    match mark {
        '，' => ("comma", "逗号"),
        '。' | '．' => ("full stop", "句号"),
        '、' => ("enumeration comma", "顿号"),
        '；' => ("semicolon", "分号"),
        '：' => ("colon", "冒号"),
        '！' => ("exclamation mark", "感叹号"),
        _ => ("question mark", "问号"),
    }
}

/// The ASCII character a full-width one stands for (`１` is `1`, `：` is `:`, `。` is `.`);
/// any other character is itself.
fn half_width(c: char) -> char {
    match c {
        // Full-width forms of ASCII, `！` to `～`, sit 0xFEE0 above their ASCII character.
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        '。' => '.',
        '【' => '[',
        '】' => ']',
        _ => c,
    }
}

#[cfg(test)]
mod tests;
