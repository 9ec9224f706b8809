//! Organisation identifiers: the unified social credit code 统一社会信用代码 (GB 32100-2015) and
//! the organization code 组织机构代码 (GB 11714-1997) embedded at its positions 9–17.
//!
//! Pure functions, no IO. The rules implemented here (standards notes §1):
//!
//! * USCC: 18 characters over `0123456789ABCDEFGHJKLMNPQRTUWXY` (no I, O, S, V, Z); positions
//!   3–8 are a 6-digit GB/T 2260 division code; position 18 is a mod-31 check character with
//!   weights 3^(i−1) mod 31 over positions 1–17.
//! * Organization code: 8 characters (digits or upper-case Latin letters, A = 10 … Z = 35) plus a
//!   mod-11 check character (weights 3, 7, 9, 10, 5, 8, 4, 2; 10 → `X`, 11 → `0`).
//!
//! Input is normalised first: surrounding and inner white space (also the ideographic space) is
//! dropped, full-width ASCII (`９１`, `ＡＢ`, `－`) becomes ASCII, lower case becomes upper case, and
//! one hyphen written before the organization-code check character (`12345678-9`) is removed.
//!
//! The position-1/2 table (registration authority and entity category) is advisory: the list is
//! administrative and has grown over time, so an unknown combination is *not* an error; use
//! [`Uscc::is_known_category`] to warn about it.
//!
//! ```
//! use qcity_domain::identifiers::{check_uscc, check_org_code};
//! use qcity_domain::target::Lang;
//! let u = check_uscc("91440300 19220382-1 6").unwrap();
//! assert_eq!(u.code, "914403001922038216");
//! assert_eq!(u.division, "440300");
//! assert_eq!(u.org_code_display(), "19220382-1");
//! assert_eq!(u.category_name(Lang::En), Some("enterprise"));
//! assert!(check_org_code("19220382-1").is_ok());
//! let e = check_uscc("914403001922038217").unwrap_err();
//! assert_eq!(e.message(Lang::En), "the check character (position 18) should be '6', not '7'");
//! ```

pub use crate::target::Lang;
use std::fmt;

/// The 31 characters of a USCC, in value order (A = 10 … Y = 30).
pub const USCC_ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/// Weights 3^(i−1) mod 31 for positions 1..=17.
const USCC_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// GB 11714 weights for the 8 body characters of an organization code.
const ORG_WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];

/// A valid unified social credit code, split into its parts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Uscc {
    /// The normalised 18-character code.
    pub code: String,
    /// Position 1: 登记管理部门代码 registration authority.
    pub authority: char,
    /// Position 2: 机构类别代码 entity category (meaning depends on the authority).
    pub category: char,
    /// Positions 3–8: 登记管理机关行政区划码, 6 digits (GB/T 2260).
    pub division: String,
    /// Positions 9–17: 主体标识码, the 9-character organization code (check character included).
    pub org_code: String,
    /// Position 18: the mod-31 check character.
    pub check: char,
}

/// Why a code is not a valid USCC or organization code. One variant per reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message(Lang::En))]
pub enum UsccError {
    /// After normalisation the code does not have the expected number of characters.
    WrongLength { expected: usize, found: usize },
    /// The character at `position` (1-based, in the normalised code) is not allowed there.
    InvalidCharacter {
        position: usize,
        found: char,
        allowed: Allowed,
    },
    /// The organization code's own mod-11 check character (USCC position 17, or position 9 of a
    /// stand-alone organization code) is wrong.
    BadOrgCodeCheck { expected: char, found: char },
    /// The USCC's mod-31 check character (position 18) is wrong.
    BadCheckCharacter { expected: char, found: char },
}

/// Which characters a position accepts, for [`UsccError::InvalidCharacter`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allowed {
    /// The 31-character USCC alphabet (digits and letters except I, O, S, V, Z).
    UsccAlphabet,
    /// A digit: USCC positions 3–8, the administrative-division code.
    DivisionDigit,
    /// A digit or an upper-case Latin letter: organization-code body.
    OrgCodeCharacter,
}

impl UsccError {
    /// The reason in the display language.
    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (Self::WrongLength { expected, found }, Lang::ZhCn) => {
                format!("长度应为 {expected} 位，实际为 {found} 位")
            }
            (Self::WrongLength { expected, found }, Lang::En) => {
                format!("must be {expected} characters long, not {found}")
            }
            (
                Self::InvalidCharacter {
                    position,
                    found,
                    allowed,
                },
                Lang::ZhCn,
            ) => match allowed {
                Allowed::UsccAlphabet => format!(
                    "第 {position} 位“{found}”不是允许的字符（只用数字和大写字母，不用 I、O、Z、S、V）"
                ),
                Allowed::DivisionDigit => format!(
                    "第 {position} 位“{found}”应为数字（第 3–8 位是登记管理机关行政区划码）"
                ),
                Allowed::OrgCodeCharacter => {
                    format!("第 {position} 位“{found}”应为数字或大写英文字母")
                }
            },
            (
                Self::InvalidCharacter {
                    position,
                    found,
                    allowed,
                },
                Lang::En,
            ) => match allowed {
                Allowed::UsccAlphabet => format!(
                    "character {position} '{found}' is not allowed (digits and capital letters only, never I, O, Z, S, V)"
                ),
                Allowed::DivisionDigit => format!(
                    "character {position} '{found}' must be a digit (positions 3–8 are the administrative-division code)"
                ),
                Allowed::OrgCodeCharacter => {
                    format!("character {position} '{found}' must be a digit or a capital letter")
                }
            },
            (Self::BadOrgCodeCheck { expected, found }, Lang::ZhCn) => {
                format!("组织机构代码校验码应为“{expected}”，实际为“{found}”")
            }
            (Self::BadOrgCodeCheck { expected, found }, Lang::En) => {
                format!("the organization code check digit should be '{expected}', not '{found}'")
            }
            (Self::BadCheckCharacter { expected, found }, Lang::ZhCn) => {
                format!("校验码（第 18 位）应为“{expected}”，实际为“{found}”")
            }
            (Self::BadCheckCharacter { expected, found }, Lang::En) => {
                format!("the check character (position 18) should be '{expected}', not '{found}'")
            }
        }
    }
}

/// Checks a unified social credit code and returns its parts.
///
/// Order of checks: length, characters (first bad position), the mod-31 check character, then
/// the embedded organization code's mod-11 check digit. The mod-31 check comes before the
/// embedded one so that any single mistyped character is reported as a check-character error.
pub fn check_uscc(code: &str) -> Result<Uscc, UsccError> {
    let chars = strip_check_hyphen(normalise(code), 18, 16);
    if chars.len() != 18 {
        return Err(UsccError::WrongLength {
            expected: 18,
            found: chars.len(),
        });
    }
    for (i, &c) in chars.iter().enumerate() {
        let position = i + 1;
        let allowed = if (3..=8).contains(&position) {
            Allowed::DivisionDigit
        } else {
            Allowed::UsccAlphabet
        };
        let ok = match allowed {
            Allowed::DivisionDigit => c.is_ascii_digit(),
            _ => uscc_value(c).is_some(),
        };
        if !ok {
            return Err(UsccError::InvalidCharacter {
                position,
                found: c,
                allowed,
            });
        }
    }
    let body: String = chars[..17].iter().collect();
    let expected = uscc_check_char(&body).expect("characters checked above");
    if chars[17] != expected {
        return Err(UsccError::BadCheckCharacter {
            expected,
            found: chars[17],
        });
    }
    let org_body: String = chars[8..16].iter().collect();
    let org_expected = org_code_check_char(&org_body).expect("characters checked above");
    if chars[16] != org_expected {
        return Err(UsccError::BadOrgCodeCheck {
            expected: org_expected,
            found: chars[16],
        });
    }
    Ok(Uscc {
        code: chars.iter().collect(),
        authority: chars[0],
        category: chars[1],
        division: chars[2..8].iter().collect(),
        org_code: chars[8..17].iter().collect(),
        check: chars[17],
    })
}

/// Checks a 9-character organization code (GB 11714), e.g. `19220382-1` or `192203821`.
pub fn check_org_code(code: &str) -> Result<(), UsccError> {
    let chars = strip_check_hyphen(normalise(code), 9, 8);
    if chars.len() != 9 {
        return Err(UsccError::WrongLength {
            expected: 9,
            found: chars.len(),
        });
    }
    if let Some((i, &c)) = chars
        .iter()
        .enumerate()
        .find(|(_, c)| !(c.is_ascii_digit() || c.is_ascii_uppercase()))
    {
        return Err(UsccError::InvalidCharacter {
            position: i + 1,
            found: c,
            allowed: Allowed::OrgCodeCharacter,
        });
    }
    let body: String = chars[..8].iter().collect();
    let expected = org_code_check_char(&body).expect("characters checked above");
    if chars[8] != expected {
        return Err(UsccError::BadOrgCodeCheck {
            expected,
            found: chars[8],
        });
    }
    Ok(())
}

/// The mod-31 check character for the first 17 characters of a USCC (already upper case), or
/// `None` when `body` is not 17 characters of the USCC alphabet.
pub fn uscc_check_char(body: &str) -> Option<char> {
    let mut sum = 0u32;
    let mut n = 0;
    for (c, w) in body.chars().zip(USCC_WEIGHTS) {
        sum += uscc_value(c)? * w;
        n += 1;
    }
    if n != 17 || body.chars().count() != 17 {
        return None;
    }
    USCC_ALPHABET.chars().nth(((31 - sum % 31) % 31) as usize)
}

/// The mod-11 check character (`0`–`9` or `X`) for an 8-character organization-code body
/// (digits and upper-case letters), or `None` when `body` is not such a body.
pub fn org_code_check_char(body: &str) -> Option<char> {
    if body.chars().count() != 8 {
        return None;
    }
    let mut sum = 0u32;
    for (c, w) in body.chars().zip(ORG_WEIGHTS) {
        let v = match c {
            '0'..='9' | 'A'..='Z' => c.to_digit(36)?,
            _ => return None,
        };
        sum += v * w;
    }
    Some(match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        d => char::from_digit(d, 10)?,
    })
}

/// Value of a USCC character (0–30), `None` outside the 31-character alphabet.
fn uscc_value(c: char) -> Option<u32> {
    USCC_ALPHABET.find(c).map(|i| i as u32)
}

/// Trim, drop white space, full-width ASCII → ASCII, lower → upper case.
fn normalise(code: &str) -> Vec<char> {
    code.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Removes one hyphen written just before the organization-code check character, i.e. when the
/// code is one character longer than `len` and has `-` at index `at` (`12345678-9` with
/// `at` = 8, `9144030019220382-16` with `at` = 16).
fn strip_check_hyphen(mut chars: Vec<char>, len: usize, at: usize) -> Vec<char> {
    if chars.len() == len + 1 && chars[at] == '-' {
        chars.remove(at);
    }
    chars
}

/// Which identifier an enterprise is known by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeKind {
    /// 18-character unified social credit code.
    Uscc,
    /// Legacy 9-character organization code.
    OrgCode,
}

impl CodeKind {
    /// The stored code: `uscc` or `org`.
    pub fn code(self) -> &'static str {
        match self {
            CodeKind::Uscc => "uscc",
            CodeKind::OrgCode => "org",
        }
    }
}

/// The code as stored: full-width characters made half-width, spaces removed, upper case,
/// and the hyphen before an organization code's check digit dropped. Not checked.
pub fn normalise_code(code: &str) -> String {
    let chars = normalise(code);
    let chars = if chars.len() <= 10 {
        strip_check_hyphen(chars, 9, 8)
    } else {
        strip_check_hyphen(chars, 18, 16)
    };
    chars.into_iter().collect()
}

/// Checks an enterprise identifier: a USCC, or a legacy organization code when the code has
/// 9 characters (10 with the hyphen). Returns the normalised code and its kind.
pub fn check_enterprise_code(code: &str) -> Result<(String, CodeKind), UsccError> {
    let normal = normalise_code(code);
    if normal.chars().count() == 9 {
        check_org_code(&normal)?;
        Ok((normal, CodeKind::OrgCode))
    } else {
        let u = check_uscc(&normal)?;
        Ok((u.code, CodeKind::Uscc))
    }
}

impl Uscc {
    /// The organization code as usually printed, `XXXXXXXX-X`.
    pub fn org_code_display(&self) -> String {
        format!("{}-{}", &self.org_code[..8], &self.org_code[8..])
    }

    /// Name of the registration authority (position 1), if it is in the published table.
    pub fn authority_name(&self, lang: Lang) -> Option<&'static str> {
        AUTHORITIES
            .iter()
            .find(|a| a.code == self.authority)
            .map(|a| pick(lang, a.zh, a.en))
    }

    /// Name of the entity category (position 2 under the authority at position 1), if known.
    pub fn category_name(&self, lang: Lang) -> Option<&'static str> {
        AUTHORITIES
            .iter()
            .find(|a| a.code == self.authority)?
            .categories
            .iter()
            .find(|(c, _, _)| *c == self.category)
            .map(|(_, zh, en)| pick(lang, zh, en))
    }

    /// Whether positions 1–2 are in the published authority/category table. Advisory only:
    /// codes outside it are still valid.
    pub fn is_known_category(&self) -> bool {
        self.category_name(Lang::En).is_some()
    }
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code)
    }
}

fn pick(lang: Lang, zh: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::ZhCn => zh,
        Lang::En => en,
    }
}

struct Authority {
    code: char,
    zh: &'static str,
    en: &'static str,
    categories: &'static [(char, &'static str, &'static str)],
}

/// Registration authorities (position 1) and their entity categories (position 2), as published
/// by the national code centre (CODS). Advisory.
const AUTHORITIES: &[Authority] = &[
    Authority {
        code: '1',
        zh: "机构编制",
        en: "institutional establishment",
        categories: &[
            ('1', "机关", "government body"),
            ('2', "事业单位", "public institution"),
            (
                '3',
                "中央编办直接管理机构编制的群众团体",
                "mass organisation under the central establishment office",
            ),
            ('9', "其他", "other"),
        ],
    },
    Authority {
        code: '2',
        zh: "外交",
        en: "foreign affairs",
        categories: &[
            ('1', "外国常驻新闻机构", "resident foreign news agency"),
            ('9', "其他", "other"),
        ],
    },
    Authority {
        code: '3',
        zh: "司法行政",
        en: "judicial administration",
        categories: &[
            ('1', "律师执业机构", "law firm"),
            ('2', "公证处", "notary office"),
            ('3', "基层法律服务所", "grassroots legal service office"),
            ('4', "司法鉴定机构", "forensic appraisal institution"),
            ('5', "仲裁委员会", "arbitration commission"),
            ('9', "其他", "other"),
        ],
    },
    Authority {
        code: '4',
        zh: "文化",
        en: "culture",
        categories: &[
            ('1', "外国在华文化中心", "foreign cultural centre in China"),
            ('9', "其他", "other"),
        ],
    },
    Authority {
        code: '5',
        zh: "民政",
        en: "civil affairs",
        categories: &[
            ('1', "社会团体", "social organisation"),
            ('2', "民办非企业单位", "private non-enterprise unit"),
            ('3', "基金会", "foundation"),
            ('9', "其他", "other"),
        ],
    },
    Authority {
        code: '6',
        zh: "旅游",
        en: "tourism",
        categories: &[
            (
                '1',
                "外国旅游部门常驻代表机构",
                "resident office of a foreign tourism authority",
            ),
            (
                '2',
                "港澳台地区旅游部门常驻内地（大陆）代表机构",
                "resident office of a Hong Kong, Macao or Taiwan tourism authority",
            ),
            ('9', "其他", "other"),
        ],
    },
    Authority {
        code: '7',
        zh: "宗教",
        en: "religious affairs",
        categories: &[
            ('1', "宗教活动场所", "place of religious activity"),
            ('2', "宗教院校", "religious school"),
            ('9', "其他", "other"),
        ],
    },
    Authority {
        code: '8',
        zh: "工会",
        en: "trade union",
        categories: &[
            ('1', "基层工会", "grassroots trade union"),
            ('9', "其他", "other"),
        ],
    },
    Authority {
        code: '9',
        zh: "工商（市场监管）",
        en: "market regulation (industry and commerce)",
        categories: &[
            ('1', "企业", "enterprise"),
            ('2', "个体工商户", "individual business"),
            ('3', "农民专业合作社", "farmers' cooperative"),
        ],
    },
    Authority {
        code: 'A',
        zh: "中央军委改革和编制办公室",
        en: "CMC reform and establishment office",
        categories: &[
            ('1', "军队事业单位", "military public institution"),
            ('9', "其他", "other"),
        ],
    },
    Authority {
        code: 'N',
        zh: "农业",
        en: "agriculture",
        categories: &[
            (
                '1',
                "组级集体经济组织",
                "group-level collective economic organisation",
            ),
            (
                '2',
                "村级集体经济组织",
                "village-level collective economic organisation",
            ),
            (
                '3',
                "乡镇级集体经济组织",
                "township-level collective economic organisation",
            ),
            ('9', "其他", "other"),
        ],
    },
    Authority {
        code: 'Y',
        zh: "其他",
        en: "other",
        categories: &[('1', "其他", "other")],
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Real, published codes (sources in the comments). Each passes both the mod-31 check and
    /// the embedded organization-code check.
    const REAL: &[(&str, &str)] = &[
        // 华为技术有限公司 — zh.wikipedia.org 「華為」 infobox (機構代碼); standards notes §1.2.
        ("914403001922038216", "华为技术有限公司"),
        // 中国全聚德（集团）股份有限公司 — used as a known-good sample in
        // https://blog.csdn.net/ellasun_web/article/details/130267762 ("测试全聚德信用码").
        ("91110000101623741K", "中国全聚德（集团）股份有限公司"),
        // 北京长峰医院 — same blog post ("测试北京长峰医院信用码").
        ("911101066976941872", "北京长峰医院"),
        // 阿里巴巴（中国）有限公司 — standards notes §1.4; many public mentions.
        ("91330100799655058B", "阿里巴巴（中国）有限公司"),
        // Listed state-owned company (attributed to Sinopec Corp. in our notes, to China Railway
        // in other public lists; also WeChat Pay API's sample merchant identifier).
        (
            "91110000710926094P",
            "中国石化 / 中国中铁 (attribution disputed)",
        ),
        // python-stdnum's documentation example (tests/test_cn_uscc.doctest, "found online").
        ("91110000600037341L", "python-stdnum doc example"),
        // A Tianjin public institution 事业单位 (authority 1, category 2), python-stdnum corpus.
        (
            "121200004013590816",
            "天津市事业单位 (python-stdnum corpus)",
        ),
        // Post-2015 "MA…" body with org-code check X, python-stdnum corpus.
        ("91340600MA2PBM9HXD", "淮北市企业 (python-stdnum corpus)"),
        // Organization-code check X inside a digit body, python-stdnum corpus.
        ("9144030071526726XG", "深圳市企业 (python-stdnum corpus)"),
        // Letter at the start of the organization code, python-stdnum corpus.
        ("91620105L015101280", "兰州市企业 (python-stdnum corpus)"),
    ];

    // Hand computation 1 — 全聚德 91110000101623741K.
    //   values  9 1 1 1 0 0 0 0 1  0  1  6 2  3  7   4  1
    //   weights 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28
    //   products 9+3+9+27+0+0+0+0+20+0+25+78+16+72+70+120+28 = 477
    //   477 mod 31 = 12 (31·15 = 465); 31 − 12 = 19 → value 19 = 'K' ✓
    //   embedded org code 10162374-1: 1·3+0·7+1·9+6·10+2·5+3·8+7·4+4·2 = 142;
    //   142 mod 11 = 10; 11 − 10 = 1 ✓
    //
    // Hand computation 2 — 121200004013590816 (事业单位, Tianjin).
    //   values 1 2 1 2 0 0 0 0 4 0 1 3 5 9 0 8 1
    //   products 1+6+9+54+0+0+0+0+80+0+25+39+40+216+0+240+28 = 738
    //   738 mod 31 = 25 (31·23 = 713); 31 − 25 = 6 → '6' ✓
    //   embedded org code 40135908-1: 4·3+0+1·9+3·10+5·5+9·8+0+8·2 = 164;
    //   164 mod 11 = 10; 11 − 10 = 1 ✓
    #[test]
    fn identifiers_hand_computed_check_characters() {
        assert_eq!(uscc_check_char("91110000101623741"), Some('K'));
        assert_eq!(org_code_check_char("10162374"), Some('1'));
        assert_eq!(uscc_check_char("12120000401359081"), Some('6'));
        assert_eq!(org_code_check_char("40135908"), Some('1'));
    }

    #[test]
    fn identifiers_enterprise_code_picks_the_kind() {
        assert_eq!(
            check_enterprise_code("９１４４０３００１９２２０３８２１６"),
            Ok(("914403001922038216".to_string(), CodeKind::Uscc))
        );
        assert_eq!(
            check_enterprise_code("19220382-1"),
            Ok(("192203821".to_string(), CodeKind::OrgCode))
        );
        assert_eq!(normalise_code(" 19220382-1 "), "192203821");
        assert!(matches!(
            check_enterprise_code("19220382-2"),
            Err(UsccError::BadOrgCodeCheck { .. })
        ));
        assert!(matches!(
            check_enterprise_code("914403001922038217"),
            Err(UsccError::BadCheckCharacter { .. })
        ));
        assert!(matches!(
            check_enterprise_code("12345"),
            Err(UsccError::WrongLength { expected: 18, .. })
        ));
    }

    #[test]
    fn identifiers_real_codes_are_valid() {
        for (code, who) in REAL {
            let u = check_uscc(code).unwrap_or_else(|e| panic!("{code} ({who}): {e}"));
            assert_eq!(u.code, *code);
            assert!(check_org_code(&u.org_code).is_ok(), "{code}");
        }
    }

    #[test]
    fn identifiers_parts_are_split() {
        let u = check_uscc("914403001922038216").unwrap();
        assert_eq!(
            (u.authority, u.category, u.division.as_str()),
            ('9', '1', "440300")
        );
        assert_eq!(u.org_code, "192203821");
        assert_eq!(u.org_code_display(), "19220382-1");
        assert_eq!(u.check, '6');
        assert_eq!(u.to_string(), "914403001922038216");
        assert_eq!(u.authority_name(Lang::ZhCn), Some("工商（市场监管）"));
        assert_eq!(u.category_name(Lang::ZhCn), Some("企业"));
        assert!(u.is_known_category());
        let inst = check_uscc("121200004013590816").unwrap();
        assert_eq!(inst.category_name(Lang::En), Some("public institution"));
        assert_eq!(inst.division, "120000");
    }

    #[test]
    fn identifiers_unknown_category_is_only_advisory() {
        // Authority 9 has no category 9: still a valid code, but not in the table.
        let body = "99110000101623741";
        let code = format!("{body}{}", uscc_check_char(body).unwrap());
        let u = check_uscc(&code).unwrap();
        assert!(!u.is_known_category());
        assert_eq!(u.category_name(Lang::En), None);
        assert_eq!(
            u.authority_name(Lang::En),
            Some("market regulation (industry and commerce)")
        );
        // Authority Z is outside the alphabet altogether, B is in it but not in the table.
        let body = "B1110000101623741";
        let code = format!("{body}{}", uscc_check_char(body).unwrap());
        assert_eq!(check_uscc(&code).unwrap().authority_name(Lang::En), None);
    }

    #[test]
    fn identifiers_every_single_changed_character_fails_the_check() {
        for (code, _) in REAL {
            let chars: Vec<char> = code.chars().collect();
            for i in 0..18 {
                let choices: Vec<char> = if (2..8).contains(&i) {
                    ('0'..='9').collect()
                } else {
                    USCC_ALPHABET.chars().collect()
                };
                for c in choices.into_iter().filter(|&c| c != chars[i]) {
                    let mut changed = chars.clone();
                    changed[i] = c;
                    let changed: String = changed.into_iter().collect();
                    match check_uscc(&changed) {
                        Err(UsccError::BadCheckCharacter { expected, found }) => {
                            assert_eq!(found, changed.chars().nth(17).unwrap());
                            assert_ne!(expected, found);
                        }
                        other => panic!("{changed}: {other:?}"),
                    }
                }
            }
        }
    }

    #[test]
    fn identifiers_check_character_error_names_the_expected_one() {
        let e = check_uscc("91110000710926094Q").unwrap_err();
        assert_eq!(
            e,
            UsccError::BadCheckCharacter {
                expected: 'P',
                found: 'Q'
            }
        );
        assert_eq!(
            e.message(Lang::ZhCn),
            "校验码（第 18 位）应为“P”，实际为“Q”"
        );
        assert_eq!(
            e.message(Lang::En),
            "the check character (position 18) should be 'P', not 'Q'"
        );
        assert_eq!(e.to_string(), e.message(Lang::En));
        assert_eq!(
            check_uscc("914403001922038217"),
            Err(UsccError::BadCheckCharacter {
                expected: '6',
                found: '7'
            })
        );
        // The tutorial example: 91350100M000100Y4? → 3.
        assert_eq!(
            check_uscc("91350100M000100Y4Z").unwrap_err(),
            UsccError::InvalidCharacter {
                position: 18,
                found: 'Z',
                allowed: Allowed::UsccAlphabet
            }
        );
        assert_eq!(
            check_uscc("91350100M000100Y4A"),
            Err(UsccError::BadCheckCharacter {
                expected: '3',
                found: 'A'
            })
        );
        assert!(check_uscc("91350100M000100Y43").is_ok());
        // Issued by an authority but failing the standard's check (see standards notes §1.5).
        assert!(matches!(
            check_uscc("91350211M0000XUF46"),
            Err(UsccError::BadCheckCharacter { .. })
        ));
    }

    #[test]
    fn identifiers_bad_embedded_org_code_is_reported() {
        // Org code 19220382 must end in 1; use 2 and give the USCC a matching check character.
        let body = "91440300192203822";
        let code = format!("{body}{}", uscc_check_char(body).unwrap());
        let e = check_uscc(&code).unwrap_err();
        assert_eq!(
            e,
            UsccError::BadOrgCodeCheck {
                expected: '1',
                found: '2'
            }
        );
        assert_eq!(
            e.message(Lang::ZhCn),
            "组织机构代码校验码应为“1”，实际为“2”"
        );
        assert_eq!(
            e.message(Lang::En),
            "the organization code check digit should be '1', not '2'"
        );
    }

    #[test]
    fn identifiers_wrong_lengths() {
        for (code, found) in [
            ("", 0),
            ("9111000071092609P", 17),
            ("91110000710926094PP", 19),
            ("91", 2),
        ] {
            let e = check_uscc(code).unwrap_err();
            assert_eq!(
                e,
                UsccError::WrongLength {
                    expected: 18,
                    found
                },
                "{code}"
            );
        }
        assert_eq!(
            check_uscc("9111000071092609P")
                .unwrap_err()
                .message(Lang::ZhCn),
            "长度应为 18 位，实际为 17 位"
        );
        assert_eq!(
            check_uscc("9111000071092609P")
                .unwrap_err()
                .message(Lang::En),
            "must be 18 characters long, not 17"
        );
        assert_eq!(
            check_org_code("1922038"),
            Err(UsccError::WrongLength {
                expected: 9,
                found: 7
            })
        );
    }

    #[test]
    fn identifiers_forbidden_letters_are_named_with_their_position() {
        for (code, position, found) in [
            ("91110000710926O94P", 15, 'O'),
            ("91330100799655058I", 18, 'I'),
            ("S1110000710926094P", 1, 'S'),
            ("9V110000710926094P", 2, 'V'),
            ("911100007Z0926094P", 10, 'Z'),
            ("91110000710926094*", 18, '*'),
        ] {
            assert_eq!(
                check_uscc(code),
                Err(UsccError::InvalidCharacter {
                    position,
                    found,
                    allowed: Allowed::UsccAlphabet
                }),
                "{code}"
            );
        }
        let e = check_uscc("91A10000710926094P").unwrap_err();
        assert_eq!(
            e,
            UsccError::InvalidCharacter {
                position: 3,
                found: 'A',
                allowed: Allowed::DivisionDigit
            }
        );
        assert_eq!(
            e.message(Lang::ZhCn),
            "第 3 位“A”应为数字（第 3–8 位是登记管理机关行政区划码）"
        );
        assert!(
            e.message(Lang::En)
                .starts_with("character 3 'A' must be a digit")
        );
        let e = check_uscc("91110000710926O94P").unwrap_err();
        assert!(e.message(Lang::ZhCn).contains("第 15 位“O”"));
        assert!(e.message(Lang::En).contains("never I, O, Z, S, V"));
    }

    #[test]
    fn identifiers_lower_case_full_width_and_spaces_are_accepted() {
        let ok = |s: &str| check_uscc(s).map(|u| u.code);
        let want = Ok("91110000710926094P".to_string());
        assert_eq!(ok("91110000710926094p"), want);
        assert_eq!(ok("  91110000710926094P\n"), want);
        assert_eq!(ok("９１１１００００７１０９２６０９４Ｐ"), want);
        assert_eq!(ok("９１１１００００７１０９２６０９４ｐ"), want);
        assert_eq!(ok("91 110000 71092609 4 P"), want);
        assert_eq!(ok("91\u{3000}110000\u{3000}710926094P"), want);
        assert_eq!(ok("9111000071092609-4P"), want);
        assert_eq!(ok("9111000071092609－4P"), want);
        assert_eq!(ok("9133010079965505-8b").unwrap(), "91330100799655058B");
        // A hyphen anywhere else is an invalid character.
        assert_eq!(
            check_uscc("91-10000710926094P"),
            Err(UsccError::InvalidCharacter {
                position: 3,
                found: '-',
                allowed: Allowed::DivisionDigit
            })
        );
    }

    #[test]
    fn identifiers_org_codes_with_and_without_hyphen() {
        for code in [
            "19220382-1",
            "192203821",
            "71092609-4",
            "79965505-8",
            "10000396-2",
            "71526726-X",
            "71526726x",
            "56010553-X",
            "MA2PBM9H-X",
            "ma2pbm9h-x",
            "１９２２０３８２－１",
            " 10162374 - 1 ",
        ] {
            assert_eq!(check_org_code(code), Ok(()), "{code}");
        }
        assert_eq!(
            check_org_code("19220382-2"),
            Err(UsccError::BadOrgCodeCheck {
                expected: '1',
                found: '2'
            })
        );
        // A hyphen anywhere but before the check digit is kept, and then fails.
        assert_eq!(
            check_org_code("1922038-21"),
            Err(UsccError::WrongLength {
                expected: 9,
                found: 10
            })
        );
        assert_eq!(
            check_org_code("1922038-2"),
            Err(UsccError::InvalidCharacter {
                position: 8,
                found: '-',
                allowed: Allowed::OrgCodeCharacter
            })
        );
        assert_eq!(
            check_org_code("1922038*1").unwrap_err().message(Lang::En),
            "character 8 '*' must be a digit or a capital letter"
        );
        // GB 11714 uses the full Latin alphabet, so letters excluded from USCCs are allowed here.
        let body = "OSZV1234";
        let code = format!("{body}{}", org_code_check_char(body).unwrap());
        assert_eq!(check_org_code(&code), Ok(()));
    }

    #[test]
    fn identifiers_org_code_mod_11_misses_some_letter_substitutions() {
        // Values differing by 11 (0 ↔ B, 1 ↔ C, …) are indistinguishable mod 11, so the
        // single-substitution property holds for digit bodies only.
        assert_eq!(check_org_code("19220382-1"), Ok(()));
        assert_eq!(check_org_code("C9220382-1"), Ok(()));
    }

    #[test]
    fn identifiers_check_char_helpers_reject_bad_bodies() {
        assert_eq!(uscc_check_char("9144030019220382"), None);
        assert_eq!(uscc_check_char("914403001922038211"), None);
        assert_eq!(uscc_check_char("9144030019220382I"), None);
        assert_eq!(org_code_check_char("1922038"), None);
        assert_eq!(org_code_check_char("1922038a"), None);
    }

    // ---- properties ----

    fn alphabet_char() -> impl Strategy<Value = char> {
        prop::sample::select(USCC_ALPHABET.chars().collect::<Vec<_>>())
    }

    fn digit() -> impl Strategy<Value = char> {
        prop::sample::select(('0'..='9').collect::<Vec<_>>())
    }

    /// A random 17-character body: positions 1–2 and 9–16 over the alphabet, 3–8 digits, and
    /// position 17 the organization-code check character of 9–16.
    fn body17() -> impl Strategy<Value = String> {
        (
            prop::collection::vec(alphabet_char(), 2),
            prop::collection::vec(digit(), 6),
            prop::collection::vec(alphabet_char(), 8),
        )
            .prop_map(|(head, division, org)| {
                let org: String = org.into_iter().collect();
                let check = org_code_check_char(&org).unwrap();
                let mut s: String = head.into_iter().chain(division).collect();
                s.push_str(&org);
                s.push(check);
                s
            })
    }

    proptest! {
        #[test]
        fn identifiers_prop_appending_the_check_character_validates(body in body17()) {
            let code = format!("{body}{}", uscc_check_char(&body).unwrap());
            let u = check_uscc(&code).unwrap();
            prop_assert_eq!(&u.code, &code);
            prop_assert_eq!(check_uscc(&code.to_lowercase()).unwrap().code, code);
        }

        /// Weights 3^(i−1) mod 31 are all non-zero modulo the prime 31 and the 31 character
        /// values are distinct modulo 31, so any single substitution changes the sum mod 31.
        #[test]
        fn identifiers_prop_any_single_substitution_is_caught(
            body in body17(),
            position in 0usize..18,
            replacement in 0usize..30,
        ) {
            let code: Vec<char> =
                format!("{body}{}", uscc_check_char(&body).unwrap()).chars().collect();
            let pool: Vec<char> = if (2..8).contains(&position) {
                ('0'..='9').collect()
            } else {
                USCC_ALPHABET.chars().collect()
            };
            let others: Vec<char> = pool.into_iter().filter(|&c| c != code[position]).collect();
            let mut changed = code.clone();
            changed[position] = others[replacement % others.len()];
            let changed: String = changed.into_iter().collect();
            let is_check_error = matches!(
                check_uscc(&changed),
                Err(UsccError::BadCheckCharacter { .. })
            );
            prop_assert!(is_check_error, "{}", changed);
        }

        /// For all-digit organization codes a single changed digit is always caught (weights are
        /// non-zero mod 11 and digits differ by less than 11).
        #[test]
        fn identifiers_prop_org_code_digit_substitution_is_caught(
            body in prop::collection::vec(digit(), 8),
            position in 0usize..8,
            delta in 1u32..10,
        ) {
            let body: String = body.into_iter().collect();
            let code = format!("{body}-{}", org_code_check_char(&body).unwrap());
            prop_assert_eq!(check_org_code(&code), Ok(()));
            let mut changed: Vec<char> = body.chars().collect();
            let d = changed[position].to_digit(10).unwrap();
            changed[position] = char::from_digit((d + delta) % 10, 10).unwrap();
            let changed: String = changed.into_iter().collect();
            let bad = format!("{changed}{}", code.chars().last().unwrap());
            let is_check_error =
                matches!(check_org_code(&bad), Err(UsccError::BadOrgCodeCheck { .. }));
            prop_assert!(is_check_error, "{}", bad);
        }
    }
}
