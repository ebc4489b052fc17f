//! Masking of personal data for display and logs.

/// Keep `head` leading and `tail` trailing characters, star the rest.
fn mask_middle(s: &str, head: usize, tail: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len();
    let mut out = String::with_capacity(s.len());
    out.extend(&chars[..head]);
    out.extend(std::iter::repeat_n('*', n - head - tail));
    out.extend(&chars[n - tail..]);
    out
}

/// Mask a phone number: `13812341234` -> `138****1234`.
///
/// Strings of at least 8 characters keep the first 3 and last 4 characters;
/// shorter strings are fully starred.
pub fn mask_phone(p: &str) -> String {
    let p = p.trim();
    let n = p.chars().count();
    if n >= 8 {
        mask_middle(p, 3, 4)
    } else {
        "*".repeat(n)
    }
}

/// Mask an ID number: `320102199001011234` -> `320102********1234`.
///
/// Strings longer than 10 characters keep the first 6 and last 4 characters;
/// shorter strings are fully starred.
pub fn mask_id_number(id: &str) -> String {
    let id = id.trim();
    let n = id.chars().count();
    if n > 10 {
        mask_middle(id, 6, 4)
    } else {
        "*".repeat(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_masked() {
        assert_eq!(mask_phone("13812341234"), "138****1234");
        assert_eq!(mask_phone(" 13812341234 "), "138****1234");
        assert_eq!(mask_phone("02584001234"), "025****1234");
        assert_eq!(mask_phone("12345678"), "123*5678");
        assert_eq!(mask_phone("1234567"), "*******");
        assert_eq!(mask_phone(""), "");
    }

    #[test]
    fn id_number_masked() {
        assert_eq!(mask_id_number("320102199001011234"), "320102********1234");
        assert_eq!(mask_id_number("32010219900101123X"), "320102********123X");
        assert_eq!(mask_id_number("320102900101123"), "320102*****1123");
        assert_eq!(mask_id_number("1234567890"), "**********");
        assert_eq!(mask_id_number(""), "");
    }
}
