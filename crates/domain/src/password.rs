//! Password policy.
//!
//! Implements the password complexity requirements of JSCZ-43 and
//! EEDS-3.8.6: minimum length, digits with upper- and lower-case letters
//! and special characters, no common weak
//! passwords, no personal information, and a minimum zxcvbn strength score.
//! Reuse of recent passwords ([`PasswordProblem::ReusedRecent`]) is checked
//! by the caller, which owns the password history.

use std::fmt;

use chrono::NaiveDate;
use pinyin::ToPinyin;

use crate::crypto::Crypto;

/// Longest password (in bytes, UTF-8) the login accepts; the policy refuses
/// a longer one, so nobody can set a password they cannot log in with.
pub const MAX_PASSWORD_BYTES: usize = 256;

/// Personal details of the account owner that must not appear in a password.
#[derive(Debug, Clone, Default)]
pub struct UserDetails {
    pub username: String,
    /// Chinese name, e.g. 张伟.
    pub display_name: String,
    pub phone: Option<String>,
    /// 18-digit Chinese resident ID number (birthday in digits 7..15).
    pub id_number: Option<String>,
}

/// Why a password was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordProblem {
    TooShort {
        min: usize,
    },
    /// Longer than the login accepts ([`MAX_PASSWORD_BYTES`]).
    TooLong {
        max_bytes: usize,
    },
    /// Built from an organisation's name, its initials or pinyin, with a
    /// year or a simple sequence (`Jsczt@2026`).
    ContainsOrgInfo,
    /// Needs digits AND upper-case AND lower-case letters (EEDS-3.8.6
    /// 「同时包含数字和字母大小写等字符」) AND special characters (JSCZ-43).
    MissingClasses,
    CommonWeak,
    ContainsPersonalInfo,
    TooGuessable,
    ReusedRecent {
        depth: usize,
    },
}

impl PasswordProblem {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooShort { .. } => "password.too_short",
            Self::TooLong { .. } => "password.too_long",
            Self::ContainsOrgInfo => "password.contains_org_info",
            Self::MissingClasses => "password.missing_classes",
            Self::CommonWeak => "password.common_weak",
            Self::ContainsPersonalInfo => "password.contains_personal_info",
            Self::TooGuessable => "password.too_guessable",
            Self::ReusedRecent { .. } => "password.reused_recent",
        }
    }

    /// Human-readable message (Chinese) shown to the user.
    pub fn message(&self) -> String {
        match self {
            Self::TooShort { min } => format!("密码长度不得少于{min}位"),
            Self::TooLong { max_bytes } => format!(
                "密码长度不得超过{max_bytes}字节（字母、数字和符号每个1字节，汉字每个3字节）"
            ),
            Self::ContainsOrgInfo => {
                "密码不得由单位名称、简称或其拼音首字母加年份、连续或重复字符组成".to_string()
            }
            Self::MissingClasses => {
                "密码必须同时包含数字、大写字母、小写字母和特殊字符".to_string()
            }
            Self::CommonWeak => "密码属于常见弱口令，请更换".to_string(),
            Self::ContainsPersonalInfo => {
                "密码不得包含用户名、姓名（含拼音）、手机号、身份证号或生日等个人信息".to_string()
            }
            Self::TooGuessable => {
                "密码强度不足，容易被猜测，请使用更复杂、无规律的组合".to_string()
            }
            Self::ReusedRecent { depth } => format!("不得与最近{depth}次使用过的密码相同"),
        }
    }
}

impl fmt::Display for PasswordProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for PasswordProblem {}

/// Common weak passwords seen in Chinese leaks (compared lower-case).
const COMMON_WEAK: &[&str] = &[
    "123456",
    "1234567",
    "12345678",
    "123456789",
    "1234567890",
    "654321",
    "123123",
    "123321",
    "112233",
    "121212",
    "111111",
    "000000",
    "222222",
    "666666",
    "888888",
    "999999",
    "88888888",
    "66666666",
    "11111111",
    "00000000",
    "147258",
    "147258369",
    "159357",
    "123654",
    "520520",
    "5201314",
    "1314520",
    "woaini",
    "woaini1314",
    "woaini520",
    "woaiwojia",
    "iloveyou",
    "qwerty",
    "qwertyuiop",
    "qwe123",
    "qweasd",
    "qweasdzxc",
    "asdfgh",
    "asdfghjkl",
    "zxcvbn",
    "zxcvbnm",
    "1qaz2wsx",
    "1q2w3e4r",
    "1q2w3e",
    "qazwsx",
    "q1w2e3r4",
    "abc123",
    "abcd1234",
    "abc12345",
    "a123456",
    "a12345678",
    "aa123456",
    "aa12345678",
    "qq123456",
    "qq5201314",
    "aaaaaa",
    "abcdef",
    "abcabc",
    "password",
    "password1",
    "passw0rd",
    "p@ssw0rd",
    "p@ssword",
    "admin",
    "admin123",
    "admin@123",
    "admin888",
    "administrator",
    "root",
    "root123",
    "abc@123",
    "test",
    "test123",
    "guest",
    "welcome",
    "letmein",
    "monkey",
    "dragon",
    "superman",
    "football",
    "baseball",
    "sunshine",
    "princess",
    "master",
    "shadow",
    "zhangwei",
    "wangwei",
    "wangfang",
    "liwei",
    "zhangmin",
    "lijing",
    "wanglei",
    "liuyang",
    "caizheng",
    "jiangsu",
    "nanjing",
    "beijing",
    "shanghai",
    "zhongguo",
    "china",
    "huawei",
    "yunwei",
    "changeme",
    "default",
    "system",
    "manager",
];

fn is_special(c: char) -> bool {
    !c.is_alphanumeric() && !c.is_control()
}

/// Lower-cased variants of the password used to match the weak list.
fn weak_candidates(password: &str) -> Vec<String> {
    let lower = password.to_lowercase();
    let alnum: String = lower.chars().filter(|c| c.is_alphanumeric()).collect();
    let strip_tail = |s: &str| {
        s.trim_end_matches(|c: char| c.is_ascii_digit() || is_special(c))
            .to_string()
    };
    let strip_head = |s: &str| {
        s.trim_start_matches(|c: char| c.is_ascii_digit() || is_special(c))
            .to_string()
    };
    let tail = strip_tail(&lower);
    let both = strip_head(&tail);
    let alnum_tail = strip_tail(&alnum);
    let mut v = vec![lower, alnum, tail, both, alnum_tail];
    v.retain(|s| !s.is_empty());
    v.dedup();
    v
}

fn is_common_weak(password: &str) -> bool {
    weak_candidates(password)
        .iter()
        .any(|cand| COMMON_WEAK.contains(&cand.as_str()))
}

/// Check character of an 18-character resident ID number computed from its
/// first 17 digits (GB 11643: weighted sum mod 11); None unless 17 digits.
pub fn id_number_check_digit(first17: &str) -> Option<char> {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
    if first17.len() != 17 || !first17.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sum: u32 = first17
        .bytes()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    Some(CHECK[(sum % 11) as usize])
}

/// Birthday encoded in a Chinese resident ID number (18-digit, or legacy
/// 15-digit with a two-digit 19xx year).
pub fn birthday_from_id_number(id: &str) -> Option<NaiveDate> {
    let id = id.trim();
    let bytes = id.as_bytes();
    let (year, rest) = match bytes.len() {
        18 => {
            let body_ok = bytes[..17].iter().all(u8::is_ascii_digit);
            let last_ok = bytes[17].is_ascii_digit() || bytes[17] == b'X' || bytes[17] == b'x';
            if !body_ok || !last_ok {
                return None;
            }
            (id[6..10].parse::<i32>().ok()?, &id[10..14])
        }
        15 => {
            if !bytes.iter().all(u8::is_ascii_digit) {
                return None;
            }
            (1900 + id[6..8].parse::<i32>().ok()?, &id[8..12])
        }
        _ => return None,
    };
    let month = rest[..2].parse::<u32>().ok()?;
    let day = rest[2..].parse::<u32>().ok()?;
    NaiveDate::from_ymd_opt(year, month, day)
}

/// Pinyin of a Chinese name without tones: full (`zhangwei`) and initials (`zw`).
fn name_pinyin(name: &str) -> (String, String) {
    let mut full = String::new();
    let mut initials = String::new();
    for ch in name.chars() {
        match ch.to_pinyin() {
            Some(p) => {
                full.push_str(p.plain());
                initials.push_str(p.first_letter());
            }
            None if ch.is_ascii_alphanumeric() => {
                full.push(ch.to_ascii_lowercase());
            }
            None => {}
        }
    }
    (full, initials)
}

/// Personal strings (lower-case) that must not appear in the password.
fn personal_strings(user: &UserDetails) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |s: String, min_chars: usize| {
        if s.chars().count() >= min_chars && !out.contains(&s) {
            out.push(s);
        }
    };

    push(user.username.trim().to_lowercase(), 3);

    let name = user.display_name.trim();
    let has_han = name.chars().any(|c| c.to_pinyin().is_some());
    // A Chinese name is meaningful from two characters; latin names need 3.
    push(name.to_lowercase(), if has_han { 2 } else { 3 });
    if has_han {
        let (full, initials) = name_pinyin(name);
        push(full, 3);
        push(initials, 3);
    }

    if let Some(phone) = &user.phone {
        let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
        if digits.len() >= 6 {
            let n = digits.len();
            if n >= 8 {
                push(digits[n - 8..].to_string(), 8);
            }
            push(digits[n - 6..].to_string(), 6);
            push(digits, 6);
        }
    }

    if let Some(id) = &user.id_number {
        let id = id.trim().to_lowercase();
        if let Some(b) = birthday_from_id_number(&id) {
            push(b.format("%Y%m%d").to_string(), 6);
            push(b.format("%y%m%d").to_string(), 6);
            push(b.format("%m%d%Y").to_string(), 6);
            push(b.format("%d%m%Y").to_string(), 6);
            push(b.format("%m%d%y").to_string(), 6);
        }
        if id.len() >= 6 && id.is_ascii() {
            push(id[id.len() - 6..].to_string(), 6);
            push(id, 6);
        }
    }
    out
}

/// Check a candidate password against the policy (JSCZ-43, EEDS-3.8.6).
///
/// Rules, in order: minimum length (in characters); at most
/// [`MAX_PASSWORD_BYTES`] bytes (what the login accepts); digits, upper-
/// and lower-case letters (EEDS-3.8.6) and special characters all present; not a common weak password; no personal
/// information; zxcvbn score of at least 3.
pub fn check_password_strength(
    password: &str,
    min_len: usize,
    user: &UserDetails,
) -> Result<(), PasswordProblem> {
    if password.chars().count() < min_len {
        return Err(PasswordProblem::TooShort { min: min_len });
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(PasswordProblem::TooLong {
            max_bytes: MAX_PASSWORD_BYTES,
        });
    }

    // EEDS-3.8.6: 「同时包含数字和字母大小写等字符」.
    let has_upper = password.chars().any(|c| c.is_ascii_uppercase());
    let has_lower = password.chars().any(|c| c.is_ascii_lowercase());
    let has_digit = password.chars().any(|c| c.is_ascii_digit());
    let has_special = password.chars().any(is_special);
    if !(has_upper && has_lower && has_digit && has_special) {
        return Err(PasswordProblem::MissingClasses);
    }

    if is_common_weak(password) {
        return Err(PasswordProblem::CommonWeak);
    }

    let lower = password.to_lowercase();
    let personal = personal_strings(user);
    if personal.iter().any(|p| lower.contains(p.as_str())) {
        return Err(PasswordProblem::ContainsPersonalInfo);
    }

    // zxcvbn cost grows with length; anything this long is strong anyway.
    let scored: String = password.chars().take(100).collect();
    let inputs: Vec<&str> = personal.iter().map(String::as_str).collect();
    let entropy = zxcvbn::zxcvbn(&scored, &inputs);
    if entropy.score() < zxcvbn::Score::Three {
        return Err(PasswordProblem::TooGuessable);
    }
    Ok(())
}

/// Administrative-level characters dropped by the usual short forms
/// (江苏省财政厅 → 江苏财政厅).
const LEVEL_CHARS: &[char] = &['省', '市', '县', '区'];

/// Kind words dropped by the usual short forms (江苏财政厅 → 江苏财政).
const KIND_SUFFIXES: &[&str] = &[
    "有限责任公司",
    "股份有限公司",
    "有限公司",
    "公司",
    "委员会",
    "办公室",
    "中心",
    "厅",
    "局",
    "处",
    "科",
    "委",
    "办",
];

/// The names an organisation is known by: its name, without the level
/// characters, without its kind word, and both.
fn org_short_forms(name: &str) -> Vec<String> {
    let name: String = name.chars().filter(|c| !c.is_whitespace()).collect();
    let mut forms = vec![name.clone()];
    let no_level: String = name.chars().filter(|c| !LEVEL_CHARS.contains(c)).collect();
    forms.push(no_level);
    for f in forms.clone() {
        if let Some(stem) = KIND_SUFFIXES.iter().find_map(|k| f.strip_suffix(k)) {
            forms.push(stem.to_string());
        }
    }
    forms.retain(|f| f.chars().count() >= 2);
    forms.dedup();
    forms
}

/// Lower-case strings a password must not be built from for these
/// organisations: short forms, their pinyin and pinyin initials, longest
/// first.
fn org_tokens(org_names: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |s: String, min: usize| {
        if s.chars().count() >= min && !out.contains(&s) {
            out.push(s);
        }
    };
    for name in org_names {
        for form in org_short_forms(name) {
            let has_han = form.chars().any(|c| c.to_pinyin().is_some());
            if has_han {
                let (full, initials) = name_pinyin(&form);
                push(initials, 3);
                push(full, 4);
                push(form.to_lowercase(), 2);
            } else {
                push(form.to_lowercase(), 3);
            }
        }
    }
    out.sort_by_key(|t| std::cmp::Reverse(t.chars().count()));
    out
}

/// A run that adds nothing to a password: digits that are a year or a date
/// (19xx, 20xx, with month and day), four digits or fewer, one repeated
/// character, an ascending or descending run, or part of a keyboard row.
fn is_simple_run(run: &str) -> bool {
    let chars: Vec<char> = run.chars().collect();
    if chars.is_empty() {
        return true;
    }
    let digits = chars.iter().all(char::is_ascii_digit);
    if digits {
        let year = |y: &str| y.starts_with("19") || y.starts_with("20");
        if chars.len() <= 4 || (matches!(chars.len(), 6 | 8) && year(&run[..4])) {
            return true;
        }
    }
    if chars.iter().all(|c| *c == chars[0]) {
        return true;
    }
    let steps: Vec<i64> = chars
        .windows(2)
        .map(|w| i64::from(u32::from(w[1])) - i64::from(u32::from(w[0])))
        .collect();
    if steps.iter().all(|d| *d == 1) || steps.iter().all(|d| *d == -1) {
        return true;
    }
    const ROWS: [&str; 4] = ["1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm"];
    let rev: String = run.chars().rev().collect();
    ROWS.iter()
        .any(|row| row.contains(run) || row.contains(rev.as_str()))
}

/// Refuses a password built from the name, a short form, the pinyin or the
/// pinyin initials of one of `org_names` (the user's organisation and
/// those above it up to the tenant) combined only with years, simple
/// sequences and special characters, case-insensitive (`JSCZ-43`,
/// `EEDS-3.8.6`): `Jsczt@2026` for 江苏省财政厅.
pub fn check_org_derived(password: &str, org_names: &[String]) -> Result<(), PasswordProblem> {
    let mut rest = password.to_lowercase();
    let mut found = false;
    for t in org_tokens(org_names) {
        if rest.contains(t.as_str()) {
            found = true;
            rest = rest.replace(t.as_str(), " ");
        }
    }
    if !found {
        return Ok(());
    }
    // What is left, split into runs of digits and runs of other
    // characters at specials and token boundaries.
    let mut runs: Vec<String> = Vec::new();
    let mut cur = String::new();
    for c in rest.chars() {
        let boundary = !c.is_alphanumeric()
            || cur
                .chars()
                .last()
                .is_some_and(|l| l.is_ascii_digit() != c.is_ascii_digit());
        if boundary && !cur.is_empty() {
            runs.push(std::mem::take(&mut cur));
        }
        if c.is_alphanumeric() {
            cur.push(c);
        }
    }
    if !cur.is_empty() {
        runs.push(cur);
    }
    if runs.iter().all(|r| is_simple_run(r)) {
        return Err(PasswordProblem::ContainsOrgInfo);
    }
    Ok(())
}

/// [`check_password_strength`], then [`check_org_derived`] for the user's
/// organisations.
pub fn check_password_strength_with_orgs(
    password: &str,
    min_len: usize,
    user: &UserDetails,
    org_names: &[String],
) -> Result<(), PasswordProblem> {
    check_password_strength(password, min_len, user)?;
    check_org_derived(password, org_names)
}

const LOWER: &[u8] = b"abcdefghijkmnopqrstuvwxyz";
const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
const DIGITS: &[u8] = b"23456789";
const SPECIALS: &[u8] = b"!@#$%^&*-_=+?";

/// Uniform random index below `n` (rejection sampling, no modulo bias).
fn random_index(c: &dyn Crypto, n: usize) -> usize {
    debug_assert!(n > 0 && n <= 256);
    let limit = 256 - (256 % n);
    loop {
        for b in c.random_bytes(16) {
            let b = usize::from(b);
            if b < limit {
                return b % n;
            }
        }
    }
}

fn generate_candidate(c: &dyn Crypto) -> String {
    const LEN: usize = 16;
    let all: Vec<u8> = [LOWER, UPPER, DIGITS, SPECIALS].concat();
    let mut chars: Vec<u8> = Vec::with_capacity(LEN);
    // One from each class guarantees the composition rule.
    for class in [LOWER, UPPER, DIGITS, SPECIALS] {
        chars.push(class[random_index(c, class.len())]);
    }
    while chars.len() < LEN {
        chars.push(all[random_index(c, all.len())]);
    }
    // Fisher-Yates shuffle so the guaranteed characters are not in front.
    for i in (1..chars.len()).rev() {
        let j = random_index(c, i + 1);
        chars.swap(i, j);
    }
    chars.into_iter().map(char::from).collect()
}

/// Generate a random 16-character password containing upper- and lower-case
/// letters, digits and special characters, which passes
/// [`check_password_strength`] with empty user details.
pub fn generate_password(c: &dyn Crypto) -> String {
    loop {
        let candidate = generate_candidate(c);
        if check_password_strength(&candidate, 16, &UserDetails::default()).is_ok() {
            return candidate;
        }
    }
}

#[cfg(test)]
mod id_number_tests {
    use super::*;

    #[test]
    fn check_digit_follows_gb_11643() {
        assert_eq!(id_number_check_digit("11010519491231002"), Some('X'));
        assert_eq!(id_number_check_digit("1101051949123100"), None);
        assert_eq!(id_number_check_digit("1101051949123100A"), None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::SoftwareCrypto;
    use proptest::prelude::*;

    fn zhang_wei() -> UserDetails {
        UserDetails {
            username: "zhangw".to_string(),
            display_name: "张伟".to_string(),
            phone: Some("13812345678".to_string()),
            id_number: Some("320102199003071234".to_string()),
        }
    }

    fn check(pw: &str) -> Result<(), PasswordProblem> {
        check_password_strength(pw, 8, &zhang_wei())
    }

    #[test]
    fn jscz_43_password_needs_min_length() {
        assert_eq!(check("Kx9$mT2"), Err(PasswordProblem::TooShort { min: 8 }));
        assert_eq!(
            check_password_strength("Kx9$mT2#pQ", 12, &UserDetails::default()),
            Err(PasswordProblem::TooShort { min: 12 })
        );
        // Length counts characters, not bytes.
        assert_eq!(
            check_password_strength("密码#1a", 8, &UserDetails::default()),
            Err(PasswordProblem::TooShort { min: 8 })
        );
        assert_eq!(
            PasswordProblem::TooShort { min: 8 }.message(),
            "密码长度不得少于8位"
        );
    }

    #[test]
    fn jscz_43_password_needs_three_classes() {
        for pw in ["KxmTpQzrWv", "Kx9mT2pQzr", "Kx$mT#pQzr", "8472$9153#6"] {
            assert_eq!(check(pw), Err(PasswordProblem::MissingClasses), "{pw}");
        }
    }

    /// EEDS-3.8.6 「同时包含数字和字母大小写等字符」: a letter of one case
    /// only is not enough, even with digits and special characters.
    #[test]
    fn eeds_3_8_6_password_needs_upper_lower_and_digit() {
        for pw in ["kx9$mt2#pqzr", "KX9$MT2#PQZR", "Kx$mT#pQzrW"] {
            assert_eq!(check(pw), Err(PasswordProblem::MissingClasses), "{pw}");
        }
        assert_eq!(check("Kx9$mT2#pQzr"), Ok(()));
        assert!(PasswordProblem::MissingClasses
            .message()
            .contains("大写字母、小写字母"));
    }

    /// Changed for issue 16: the all-lower-case `woaini1314!` and
    /// `1qaz2wsx!` now fail EEDS-3.8.6 first (no upper case), so their
    /// mixed-case forms stand for them here.
    #[test]
    fn jscz_43_password_rejects_common_chinese_weak() {
        for pw in [
            "Woaini1314!",
            "WoAiNi1314!",
            "P@ssw0rd",
            "Passw0rd!",
            "Admin@123",
            "Abc@12345",
            "Aa123456!",
            "Qq123456.",
            "1qaz2WSX!",
            "!Qwerty123",
            "Caizheng@2024",
            "Jiangsu#123",
        ] {
            assert_eq!(
                check_password_strength(pw, 8, &UserDetails::default()),
                Err(PasswordProblem::CommonWeak),
                "{pw}"
            );
        }
        assert!(COMMON_WEAK.len() >= 60);
    }

    #[test]
    fn jscz_43_password_rejects_name_pinyin() {
        for pw in [
            "Zhangwei@2024x",
            "x9#ZHANGWEI!k",
            "Pq7#zw!张伟Lm",
            "Qz8!zhangw#Lm",
        ] {
            assert_eq!(
                check(pw),
                Err(PasswordProblem::ContainsPersonalInfo),
                "{pw}"
            );
        }
        // Two-letter initials are too short to be checked.
        let u = UserDetails {
            display_name: "张伟".to_string(),
            ..Default::default()
        };
        assert_eq!(check_password_strength("Zw#7kP!q2Lm9", 8, &u), Ok(()));
        // Three-letter initials are checked.
        let u = UserDetails {
            display_name: "王建国".to_string(),
            ..Default::default()
        };
        assert_eq!(
            check_password_strength("Wjg#7kP!q2Lm9", 8, &u),
            Err(PasswordProblem::ContainsPersonalInfo)
        );
        assert_eq!(
            check_password_strength("Rt#Wangjianguo!9x", 8, &u),
            Err(PasswordProblem::ContainsPersonalInfo)
        );
    }

    #[test]
    fn jscz_43_password_rejects_phone_number() {
        for pw in ["Kx#13812345678a", "Kx#12345678!pQ", "Kx#345678!pQzr"] {
            assert_eq!(
                check(pw),
                Err(PasswordProblem::ContainsPersonalInfo),
                "{pw}"
            );
        }
    }

    #[test]
    fn jscz_43_password_rejects_birthday_from_id_number() {
        for pw in [
            "Kx#19900307!pQ",
            "Kx#900307!pQzr",
            "Kx#03071990!pQ",
            "Kx#071234!pQzr",
        ] {
            assert_eq!(
                check(pw),
                Err(PasswordProblem::ContainsPersonalInfo),
                "{pw}"
            );
        }
    }

    #[test]
    fn jscz_43_birthday_parsed_from_id_number() {
        assert_eq!(
            birthday_from_id_number("320102199003071234"),
            NaiveDate::from_ymd_opt(1990, 3, 7)
        );
        assert_eq!(
            birthday_from_id_number("11010520000229123X"),
            NaiveDate::from_ymd_opt(2000, 2, 29)
        );
        assert_eq!(
            birthday_from_id_number("320102900307123"),
            NaiveDate::from_ymd_opt(1990, 3, 7)
        );
        assert_eq!(birthday_from_id_number("320102199002301234"), None);
        assert_eq!(birthday_from_id_number("32010219900307"), None);
        assert_eq!(birthday_from_id_number("3201021990030712AX"), None);
        assert_eq!(birthday_from_id_number("３２０１０２199003071234"), None);
    }

    /// JSCZ-43 / EEDS-3.8.6: a password must not be made of dictionary
    /// words or the user's or the organisation's details; `Jsczt@2026`
    /// (江苏省财政厅's initials and a year) is refused (defect 9f).
    #[test]
    fn jscz_43_eeds_3_8_6_password_rejects_organisation_initials_with_year() {
        let orgs = vec!["江苏省财政厅".to_string(), "信息中心".to_string()];
        for pw in [
            "Jsczt@2026",
            "JSCZT@2026",
            "jsczt#2026!",
            "Jscz-2026",
            "JSCZ@123456",
            "Jssczt2026!",
            "Jscz@Jsczt2026",
            "Xxzx@2026",
            "Jiangsucaizheng@2026",
            "江苏财政@2026a",
            "Jsczt!20260302",
            "Jsczt@abc123",
            "2026@Jsczt",
            "Jsczt@qwer1",
        ] {
            assert_eq!(
                check_org_derived(pw, &orgs),
                Err(PasswordProblem::ContainsOrgInfo),
                "{pw}"
            );
        }
        // Not built from the organisation: accepted by this rule.
        for pw in ["Jsczt#Xk9!pQ2m", "Yw#7kP!q2Lm9", "Nw!Str0ng#Pass2026x"] {
            assert_eq!(check_org_derived(pw, &orgs), Ok(()), "{pw}");
        }
        // Through the whole policy, and the code and message shown.
        let u = UserDetails::default();
        assert_eq!(
            check_password_strength("Jsczt@2026", 8, &u),
            Ok(()),
            "today's gap"
        );
        assert_eq!(
            check_password_strength_with_orgs("Jsczt@2026", 8, &u, &orgs),
            Err(PasswordProblem::ContainsOrgInfo)
        );
        let e = PasswordProblem::ContainsOrgInfo;
        assert_eq!(e.code(), "password.contains_org_info");
        assert!(e.message().contains("单位名称"), "{}", e.message());
        // A vendor: 金陵数智运维服务有限公司 without its kind word.
        let vendor = vec!["金陵数智运维服务有限公司".to_string()];
        assert_eq!(
            check_org_derived("Jlszywfw@2026", &vendor),
            Err(PasswordProblem::ContainsOrgInfo)
        );
    }

    /// Defect 9a: the policy refuses what the login would refuse, so a
    /// password change cannot lock the owner out.
    #[test]
    fn defect_9a_password_longer_than_login_accepts_is_refused() {
        let u = UserDetails::default();
        let base = "Yw#7kP!q2Lm9";
        let at_max: String = base.chars().cycle().take(MAX_PASSWORD_BYTES).collect();
        assert_eq!(check_password_strength(&at_max, 8, &u), Ok(()));
        let over: String = base.chars().cycle().take(MAX_PASSWORD_BYTES + 1).collect();
        assert_eq!(
            check_password_strength(&over, 8, &u),
            Err(PasswordProblem::TooLong {
                max_bytes: MAX_PASSWORD_BYTES
            })
        );
        // Counted in bytes, as the login counts: 86 Han characters are 258.
        let han = format!("{base}{}", "密".repeat(82));
        assert!(han.len() > MAX_PASSWORD_BYTES && han.chars().count() < MAX_PASSWORD_BYTES);
        assert_eq!(
            check_password_strength(&han, 8, &u).map_err(|p| p.code()),
            Err("password.too_long")
        );
        assert!(PasswordProblem::TooLong { max_bytes: 256 }
            .message()
            .starts_with("密码长度不得超过256字节"));
    }

    #[test]
    fn jscz_43_password_rejects_guessable() {
        assert_eq!(
            check_password_strength("Aaaaaaa1!", 8, &UserDetails::default()),
            Err(PasswordProblem::TooGuessable)
        );
    }

    #[test]
    fn eeds_3_8_6_strong_password_accepted() {
        for pw in [
            "Yw#7kP!q2Lm9",
            "Yunwei#2026!Ops",
            "Kx9$mT2#pQ",
            "Tq4!vRz8&Lw",
            "correct-Horse-battery-9",
        ] {
            assert_eq!(check(pw), Ok(()), "{pw}");
            assert_eq!(
                check_password_strength(pw, 8, &UserDetails::default()),
                Ok(()),
                "{pw}"
            );
        }
    }

    #[test]
    fn eeds_3_8_6_problem_codes_and_messages() {
        let all = [
            PasswordProblem::TooShort { min: 8 },
            PasswordProblem::MissingClasses,
            PasswordProblem::CommonWeak,
            PasswordProblem::ContainsPersonalInfo,
            PasswordProblem::TooGuessable,
            PasswordProblem::ReusedRecent { depth: 5 },
        ];
        for p in &all {
            assert!(p.code().starts_with("password."));
            assert!(!p.message().is_empty());
        }
        assert_eq!(
            PasswordProblem::ReusedRecent { depth: 5 }.message(),
            "不得与最近5次使用过的密码相同"
        );
    }

    #[test]
    fn eeds_3_8_6_generated_password_shape() {
        let c = SoftwareCrypto;
        let pw = generate_password(&c);
        assert_eq!(pw.chars().count(), 16);
        assert!(pw.chars().any(|c| c.is_ascii_lowercase()));
        assert!(pw.chars().any(|c| c.is_ascii_uppercase()));
        assert!(pw.chars().any(|c| c.is_ascii_digit()));
        assert!(pw.chars().any(is_special));
        assert_ne!(pw, generate_password(&c));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn eeds_3_8_6_generated_candidate_passes_without_retry(_seed in any::<u64>()) {
            let pw = generate_candidate(&SoftwareCrypto);
            prop_assert_eq!(
                check_password_strength(&pw, 16, &UserDetails::default()),
                Ok(())
            );
        }

        #[test]
        fn eeds_3_8_6_generated_password_always_passes(_seed in any::<u64>()) {
            let pw = generate_password(&SoftwareCrypto);
            prop_assert_eq!(pw.chars().count(), 16);
            prop_assert!(pw.chars().any(|c| c.is_ascii_lowercase()));
            prop_assert!(pw.chars().any(|c| c.is_ascii_uppercase()));
            prop_assert!(pw.chars().any(|c| c.is_ascii_digit()));
            prop_assert!(pw.chars().any(is_special));
            prop_assert_eq!(
                check_password_strength(&pw, 12, &UserDetails::default()),
                Ok(())
            );
        }
    }
}
