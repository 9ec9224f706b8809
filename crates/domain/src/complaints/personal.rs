//! Personal data of complainants (phone numbers, e-mail, ID numbers, names) masked for lists
//! and exports. Only the handling unit and the office see the plain values (the store audits
//! every such view); everyone else, and every export, gets these masks. [`mask_text`] scrubs
//! the same data out of free text, where citizens often type their number.

use chrono::NaiveDate;

/// The mask character.
const STAR: char = '*';

/// Masks the characters of `text` for which `hide(index among counted characters)` holds,
/// counting only the characters `counted` accepts; others are kept as they are.
fn mask_by(
    text: &str,
    counted: impl Fn(char) -> bool,
    hide: impl Fn(usize, usize) -> bool,
) -> String {
    let n = text.chars().filter(|c| counted(*c)).count();
    let mut i = 0;
    text.chars()
        .map(|c| {
            if !counted(c) {
                return c;
            }
            let out = if hide(i, n) { STAR } else { c };
            i += 1;
            out
        })
        .collect()
}

/// A phone number: a mobile (11 digits or more) keeps its first 3 and last 4 digits
/// (`138****5678`), a landline its area code and last 4 (`0371-****1234`), a shorter number
/// its last 2. Separators stay where they are.
pub fn mask_phone(phone: &str) -> String {
    let phone = phone.trim();
    if is_landline(phone)
        && let Some((area, local)) = phone.split_once('-')
    {
        return format!("{area}-{}", mask_by(local, |_| true, |i, n| i + 4 < n));
    }
    mask_by(
        phone,
        |c| c.is_ascii_digit(),
        |i, n| {
            if n >= 11 {
                i >= 3 && i < n - 4
            } else {
                i + 2 < n
            }
        },
    )
}

/// An e-mail address keeps the first character of its local part and its domain
/// (`z***@example.com`); text without `@` is masked but its first character.
pub fn mask_email(email: &str) -> String {
    let email = email.trim();
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            let stars = if local.is_empty() { "" } else { "***" };
            format!("{first}{stars}@{domain}")
        }
        None => mask_by(email, |_| true, |i, _| i > 0),
    }
}

/// A name keeps its first character (`张**`, `Z**** ***`); a one-character name is masked
/// whole. Spaces and dots between parts stay.
pub fn mask_name(name: &str) -> String {
    mask_by(name.trim(), char::is_alphanumeric, |i, n| n == 1 || i > 0)
}

/// An ID number keeps its first 3 and last 4 characters (`110***********002X`); shorter than
/// 10 characters it is masked whole.
pub fn mask_id_number(id: &str) -> String {
    mask_by(id.trim(), char::is_alphanumeric, |i, n| {
        n < 10 || (i >= 3 && i < n - 4)
    })
}

/// A valid resident ID number (居民身份证号码, GB 11643-1999).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdNumber {
    /// The 18 characters, `X` upper case.
    pub code: String,
    /// Positions 1–6: the GB/T 2260 division of first registration.
    pub division: String,
    pub birth: NaiveDate,
    /// Position 17 odd.
    pub male: bool,
}

/// Why a text is no valid ID number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("must be 18 characters, not {0}")]
    WrongLength(usize),
    /// Position (1-based) of a character that is not a digit (or `X` at 18).
    #[error("character {0} is not a digit")]
    NotDigit(usize),
    #[error("positions 7–14 are not a date of birth")]
    BadBirthDate,
    #[error("the check character should be {expected}, not {found}")]
    BadCheck { expected: char, found: char },
}

impl IdError {
    pub fn key(&self) -> &'static str {
        match self {
            Self::WrongLength(_) => "error-id-length",
            Self::NotDigit(_) => "error-id-digit",
            Self::BadBirthDate => "error-id-birth",
            Self::BadCheck { .. } => "error-id-check",
        }
    }
}

/// Weights of positions 1–17 (2^(18−i) mod 11).
const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// The check character for each remainder mod 11 (ISO 7064 MOD 11-2).
const ID_CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// The check character of the first 17 digits, `None` if they are not 17 digits.
pub fn id_check_char(body: &str) -> Option<char> {
    let digits: Vec<u32> = body
        .chars()
        .map(|c| c.to_digit(10))
        .collect::<Option<_>>()?;
    if digits.len() != 17 {
        return None;
    }
    let sum: u32 = digits.iter().zip(ID_WEIGHTS).map(|(d, w)| d * w).sum();
    Some(ID_CHECK[(sum % 11) as usize])
}

/// Checks an 18-character ID number (spaces dropped, `x` read as `X`).
pub fn check_id_number(text: &str) -> Result<IdNumber, IdError> {
    let code: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let chars: Vec<char> = code.chars().collect();
    if chars.len() != 18 {
        return Err(IdError::WrongLength(chars.len()));
    }
    for (i, c) in chars.iter().enumerate() {
        if !(c.is_ascii_digit() || (i == 17 && *c == 'X')) {
            return Err(IdError::NotDigit(i + 1));
        }
    }
    let birth =
        NaiveDate::parse_from_str(&code[6..14], "%Y%m%d").map_err(|_| IdError::BadBirthDate)?;
    let expected = id_check_char(&code[..17]).ok_or(IdError::NotDigit(1))?;
    if chars[17] != expected {
        return Err(IdError::BadCheck {
            expected,
            found: chars[17],
        });
    }
    let male = chars[16].to_digit(10).is_some_and(|d| d % 2 == 1);
    Ok(IdNumber {
        division: code[..6].to_string(),
        code,
        birth,
        male,
    })
}

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-' | '@')
}

/// A landline with its area code: `0` + 2–3 digits, `-`, 7–8 digits.
fn is_landline(s: &str) -> bool {
    match s.split_once('-') {
        Some((area, local)) => {
            area.starts_with('0')
                && (3..=4).contains(&area.len())
                && (7..=8).contains(&local.len())
                && area
                    .chars()
                    .chain(local.chars())
                    .all(|c| c.is_ascii_digit())
        }
        None => false,
    }
}

fn mask_token(token: &str) -> String {
    if let Some((local, domain)) = token.split_once('@')
        && !local.is_empty()
        && domain.contains('.')
    {
        return mask_email(token);
    }
    let core = token.trim_matches(|c| matches!(c, '.' | '-' | '+' | '_' | '%'));
    let Some(start) = token.find(core).filter(|_| !core.is_empty()) else {
        return token.to_string();
    };
    let (before, after) = (&token[..start], &token[start + core.len()..]);
    let digits = core.chars().filter(char::is_ascii_digit).count();
    let id_like = core.len() == 18
        && core[..17].chars().all(|c| c.is_ascii_digit())
        && core.ends_with(|c: char| c.is_ascii_digit() || c == 'X' || c == 'x');
    let masked = if is_landline(core) {
        mask_phone(core)
    } else if id_like || (digits == 15 && core.len() == 15) {
        mask_id_number(core)
    } else if digits == core.len() && digits >= 7 {
        if digits == 11 && core.starts_with('1') {
            mask_phone(core)
        } else if digits >= 12 {
            // Bank cards and other long numbers keep their last 4.
            mask_by(core, |_| true, |i, n| i + 4 < n)
        } else {
            mask_phone(core)
        }
    } else {
        return token.to_string();
    };
    format!("{before}{masked}{after}")
}

/// Free text with phone numbers, ID numbers, long card numbers and e-mail addresses masked;
/// everything else (dates, short numbers, words) kept.
pub fn mask_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut token = String::new();
    for c in text.chars() {
        if is_token_char(c) {
            token.push(c);
        } else {
            out.push_str(&mask_token(&token));
            token.clear();
            out.push(c);
        }
    }
    out.push_str(&mask_token(&token));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    type Mask = fn(&str) -> String;

    #[test]
    fn masks_table() {
        let cases: [(Mask, &str, &str); 14] = [
            (mask_phone, "13812345678", "138****5678"),
            (mask_phone, " 138 1234 5678 ", "138 **** 5678"),
            (mask_phone, "+86 13812345678", "+86 1******5678"),
            (mask_phone, "0371-67891234", "0371-****1234"),
            (mask_phone, "67891234", "******34"),
            (mask_email, "zhang.san@example.com", "z***@example.com"),
            (mask_email, "@example.com", "@example.com"),
            (mask_email, "nonsense", "n*******"),
            (mask_name, "张三", "张*"),
            (mask_name, "欧阳娜娜", "欧***"),
            (mask_name, "王", "*"),
            (mask_name, "Zhang San", "Z**** ***"),
            (mask_id_number, "11010519491231002X", "110***********002X"),
            (mask_id_number, "1234", "****"),
        ];
        for (f, input, want) in cases {
            assert_eq!(f(input), want, "{input}");
        }
    }

    #[test]
    fn id_numbers_are_checked() {
        // The examples of GB 11643-1999.
        let id = check_id_number("11010519491231002x").unwrap();
        assert_eq!(id.code, "11010519491231002X");
        assert_eq!(id.division, "110105");
        assert_eq!(id.birth, NaiveDate::from_ymd_opt(1949, 12, 31).unwrap());
        assert!(!id.male);
        let id = check_id_number("440524 18800101 0014").unwrap();
        assert!(id.male);
        assert_eq!(id_check_char("44052418800101001"), Some('4'));
        let cases = [
            ("1101051949123100", IdError::WrongLength(16)),
            ("11010519491231002Y", IdError::NotDigit(18)),
            ("1101051949123X002X", IdError::NotDigit(14)),
            ("110105194913310029", IdError::BadBirthDate),
            (
                "110105194912310021",
                IdError::BadCheck {
                    expected: 'X',
                    found: '1',
                },
            ),
        ];
        for (text, want) in cases {
            let got = check_id_number(text).unwrap_err();
            assert_eq!(got, want, "{text}");
            assert!(got.key().starts_with("error-id-"));
        }
    }

    #[test]
    fn free_text_is_scrubbed() {
        let cases = [
            (
                "我的电话13812345678，身份证11010519491231002X，请联系",
                "我的电话138****5678，身份证110***********002X，请联系",
            ),
            (
                "邮箱 zhang.san@example.com. 座机0371-67891234",
                "邮箱 z***@example.com. 座机0371-****1234",
            ),
            (
                "2026-03-09在超市买了3斤苹果，花了25.5元，订单号12345",
                "2026-03-09在超市买了3斤苹果，花了25.5元，订单号12345",
            ),
            ("卡号6222021234567890123", "卡号***************0123"),
            ("电话：13812345678。", "电话：138****5678。"),
        ];
        for (text, want) in cases {
            assert_eq!(mask_text(text), want, "{text}");
        }
    }
}
