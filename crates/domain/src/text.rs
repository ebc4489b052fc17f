//! Names and free text typed by people: one check for every name the
//! platform shows to others (file names, people, organisations, ticket
//! titles, register fields).
//!
//! Refused, never silently removed:
//! - bidirectional controls (U+202A..U+202E, U+2066..U+2069, U+200E,
//!   U+200F, U+061C): `report\u{202E}fdp.exe` shows as `reportexe.pdf`
//!   (`text.bidi_control`);
//! - control characters and invisible format characters; a multi-line body
//!   may hold line breaks and tabs (`text.control_char`);
//! - a name that is empty once whitespace and zero-width characters
//!   (U+200B..U+200D, U+FEFF, U+2060) are trimmed (the caller's own
//!   "required" code).

use crate::AppError;

/// Stable code of a bidirectional control in a name.
pub const CODE_BIDI: &str = "text.bidi_control";
/// Stable code of a control or invisible format character in a name.
pub const CODE_CONTROL: &str = "text.control_char";
/// Stable code of a file name that is a path.
pub const CODE_PATH: &str = "text.file_name_path";

/// Why a name was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextProblem {
    /// Nothing visible is left once whitespace and zero-width characters
    /// are trimmed.
    Empty,
    TooLong {
        max: usize,
    },
    /// A bidirectional override, embedding, isolate or mark.
    BidiControl,
    /// A control character or an invisible format character.
    ControlChar,
    /// A file name holding `/` or `\`.
    PathSeparator,
}

impl TextProblem {
    /// The error shown for `what` (e.g. 文件名); empty and too-long names
    /// get the caller's `invalid_code` (its existing code), the character
    /// rules their own stable codes.
    pub fn error(self, invalid_code: &'static str, what: &str) -> AppError {
        match self {
            Self::Empty => AppError::bad_request(invalid_code, format!("{what}不能为空")),
            Self::TooLong { max } => {
                AppError::bad_request(invalid_code, format!("{what}不得超过{max}个字符"))
            }
            Self::BidiControl => AppError::bad_request(
                CODE_BIDI,
                format!(
                    "{what}含有双向文本控制字符（可用于伪装文件扩展名或文字顺序），请删除后重试"
                ),
            ),
            Self::ControlChar => AppError::bad_request(
                CODE_CONTROL,
                format!("{what}含有控制字符或不可见字符，请删除后重试"),
            ),
            Self::PathSeparator => {
                AppError::bad_request(CODE_PATH, format!("{what}不能包含路径分隔符“/”或“\\”"))
            }
        }
    }
}

/// Bidirectional formatting characters (Unicode Bidi_Control).
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Zero-width characters: allowed inside a name (joiners in emoji and
/// scripts), but a name made only of them is empty.
pub fn is_zero_width(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200D}' | '\u{FEFF}' | '\u{2060}')
}

/// Control characters (C0, DEL, C1), line and paragraph separators and
/// invisible format characters other than the zero-width ones.
fn is_forbidden_control(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}'
                | '\u{2029}'
                | '\u{2061}'..='\u{2064}'
                | '\u{206A}'..='\u{206F}'
                | '\u{FFF9}'..='\u{FFFB}'
                | '\u{E0001}'
                | '\u{E0020}'..='\u{E007F}'
        )
}

fn check(s: &str, max_chars: usize, multi_line: bool) -> Result<String, TextProblem> {
    let t = s.trim();
    if t.chars().any(is_bidi_control) {
        return Err(TextProblem::BidiControl);
    }
    let allowed = |c: char| multi_line && matches!(c, '\n' | '\r' | '\t');
    if t.chars().any(|c| is_forbidden_control(c) && !allowed(c)) {
        return Err(TextProblem::ControlChar);
    }
    if t.trim_matches(|c: char| c.is_whitespace() || is_zero_width(c))
        .is_empty()
    {
        return Err(TextProblem::Empty);
    }
    if t.chars().count() > max_chars {
        return Err(TextProblem::TooLong { max: max_chars });
    }
    Ok(t.to_string())
}

/// A one-line name (person, organisation, title, register text field):
/// trimmed of surrounding whitespace and otherwise returned as typed.
pub fn clean_name(s: &str, max_chars: usize) -> Result<String, TextProblem> {
    check(s, max_chars, false)
}

/// A multi-line body: line breaks and tabs are fine, other controls and
/// bidirectional controls are not.
pub fn clean_body(s: &str, max_chars: usize) -> Result<String, TextProblem> {
    check(s, max_chars, true)
}

/// A file name: a one-line name without `/` or `\` (nothing is cut away,
/// so the name stored is the name shown and the extension is the real one).
pub fn clean_file_name(s: &str, max_chars: usize) -> Result<String, TextProblem> {
    let name = clean_name(s, max_chars)?;
    if name.contains(['/', '\\']) {
        return Err(TextProblem::PathSeparator);
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defect_9c_bidi_controls_are_refused_in_names() {
        for c in [
            '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}',
            '\u{2068}', '\u{2069}', '\u{200E}', '\u{200F}', '\u{061C}',
        ] {
            let name = format!("report{c}fdp.exe");
            assert_eq!(
                clean_file_name(&name, 200),
                Err(TextProblem::BidiControl),
                "{:04X}",
                c as u32
            );
            assert_eq!(clean_name(&name, 200), Err(TextProblem::BidiControl));
            assert_eq!(clean_body(&name, 200), Err(TextProblem::BidiControl));
        }
        let e = TextProblem::BidiControl.error("ticket.attachment_name", "文件名");
        assert_eq!(e.code, "text.bidi_control");
        assert!(e.message.starts_with("文件名含有双向文本控制字符"));
    }

    #[test]
    fn defect_9c_invisible_only_names_are_empty() {
        for name in [
            "",
            "   ",
            "\u{200B}",
            "\u{200B}\u{200C}\u{200D}",
            " \u{FEFF} \u{2060} ",
            "\u{3000}",
        ] {
            assert_eq!(clean_name(name, 50), Err(TextProblem::Empty), "{name:?}");
        }
        let e = TextProblem::Empty.error("user.display_name_invalid", "姓名");
        assert_eq!(e.code, "user.display_name_invalid");
        assert_eq!(e.message, "姓名不能为空");
        // A joiner inside a name is not refused.
        assert_eq!(
            clean_name("张\u{200D}伟", 50).as_deref(),
            Ok("张\u{200D}伟")
        );
    }

    #[test]
    fn defect_9c_control_characters_are_refused_except_breaks_in_bodies() {
        for name in [
            "a\u{0}b",
            "a\u{7}b",
            "a\u{1B}[31mb",
            "a\u{7F}",
            "a\u{85}b",
            "a\tb",
            "a\nb",
        ] {
            assert_eq!(
                clean_name(name, 50),
                Err(TextProblem::ControlChar),
                "{name:?}"
            );
        }
        assert_eq!(clean_name("a\u{2028}b", 50), Err(TextProblem::ControlChar));
        assert_eq!(clean_name("a\u{E0041}b", 50), Err(TextProblem::ControlChar));
        assert_eq!(
            clean_body("第一行\r\n\t第二行", 50).as_deref(),
            Ok("第一行\r\n\t第二行")
        );
        assert_eq!(clean_body("a\u{1}b", 50), Err(TextProblem::ControlChar));
        assert_eq!(
            TextProblem::ControlChar.error("x", "标题").code,
            "text.control_char"
        );
    }

    #[test]
    fn defect_9c_names_are_trimmed_and_otherwise_kept() {
        assert_eq!(
            clean_name("  南京市财政局 ", 100).as_deref(),
            Ok("南京市财政局")
        );
        assert_eq!(
            clean_name("一二三四五", 4),
            Err(TextProblem::TooLong { max: 4 })
        );
        assert_eq!(
            clean_file_name("系统运维报告.pdf", 200).as_deref(),
            Ok("系统运维报告.pdf")
        );
        assert_eq!(
            clean_file_name("../etc/passwd", 200),
            Err(TextProblem::PathSeparator)
        );
        assert_eq!(
            clean_file_name("C:\\a.pdf", 200),
            Err(TextProblem::PathSeparator)
        );
    }
}
