//! Password policy.
//!
//! Implements the password complexity requirements of JSCZ-43 and
//! EEDS-3.8.6: minimum length, three character classes, no common weak
//! passwords, no personal information, and a minimum zxcvbn strength score.
//! Reuse of recent passwords ([`PasswordProblem::ReusedRecent`]) is checked
//! by the caller, which owns the password history.

use std::fmt;

use chrono::NaiveDate;
use pinyin::ToPinyin;

use crate::crypto::Crypto;

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
    /// Needs letters AND digits AND special characters.
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
            Self::MissingClasses => "密码必须同时包含字母、数字和特殊字符".to_string(),
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
/// Rules, in order: minimum length (in characters); letters, digits and
/// special characters all present; not a common weak password; no personal
/// information; zxcvbn score of at least 3.
pub fn check_password_strength(
    password: &str,
    min_len: usize,
    user: &UserDetails,
) -> Result<(), PasswordProblem> {
    if password.chars().count() < min_len {
        return Err(PasswordProblem::TooShort { min: min_len });
    }

    let has_letter = password.chars().any(|c| c.is_ascii_alphabetic());
    let has_digit = password.chars().any(|c| c.is_ascii_digit());
    let has_special = password.chars().any(is_special);
    if !(has_letter && has_digit && has_special) {
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

    #[test]
    fn jscz_43_password_rejects_common_chinese_weak() {
        for pw in [
            "Woaini1314!",
            "woaini1314!",
            "P@ssw0rd",
            "Passw0rd!",
            "Admin@123",
            "Abc@12345",
            "Aa123456!",
            "Qq123456.",
            "1qaz2wsx!",
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
